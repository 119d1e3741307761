"""Tests run django-q2 tasks inline (sync mode), through the real ORM broker's code path."""

import pytest
from django_q.models import Success
from django_q.tasks import async_task, result


@pytest.mark.django_db
def test_tasks_run_inline_and_store_their_result():
    task_id = async_task("math.floor", 2.5)
    assert result(task_id) == 2
    assert Success.objects.filter(id=task_id).exists()
