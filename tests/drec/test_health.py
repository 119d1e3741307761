from unittest import mock


def test_health_reports_database_and_task_queue(client, db):
    response = client.get("/api/health")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "database": "ok",
        "taskQueue": "ok",
        "queuedTasks": 0,
        "lastIssuanceRunAt": None,  # the worker has not run issuance (tests/certificates/test_issuance_status.py)
    }


def test_health_is_503_when_the_task_queue_is_unreachable(client, db):
    with mock.patch("drec.api.get_broker", side_effect=ConnectionError("broker down")):
        response = client.get("/api/health")
    assert response.status_code == 503
    body = response.json()
    assert body["success"] is False
    assert body["statusCode"] == 503
    assert body["taskQueue"] == "unreachable"
    assert body["database"] == "ok"
