"""What is not certified yet, in SQL: the conditions the issuing service plans from
(certificates.services.issuance) and the issuance status reports with (certificates.status),
written once so that the two never disagree about which reads wait.

Pure constants: no database access, no imports of ours (a selector may use them, as a service
does).
"""

# The SQL below names a membership ``m`` and its uncertified ongoing reads ``r``: those after
# the membership's watermark (the end of its certified chain, or the start of its coverage),
# ending by the last closed window (``until``) and within the coverage. Both bounds are on
# ``ongoing_end``, so PostgreSQL reads them as one range of the index (device, ongoing_end): the
# certified reads before the watermark are never read again. A read straddling the coverage's
# start, and the device's baseline, are certified by nobody (the filters after the range).
# The watermark is one entry of the unique index (membership, ongoing_end), read backwards.
WATERMARK_SQL = "SELECT max(c.ongoing_end) AS tail FROM certificates_contribution c WHERE c.membership_id = m.id"
UNCERTIFIED_SQL = """r.device_id = m.device_id
        AND r.ongoing_end > GREATEST(m.covers_from, {watermark})
        AND r.ongoing_end <= LEAST(COALESCE(m.covers_until, 'infinity'::timestamptz), {until})
        AND r.start >= m.covers_from AND NOT r.is_baseline"""
# A History read ``h`` of at least one unit lying within the coverage (and the reservation's
# period) that no contribution holds; found through the History reads' GiST index (device, span).
HISTORY_WAITING_SQL = """h.device_id = m.device_id AND h.read_type = 'History'
        AND tstzrange(h.start, h."end", '[)') <@ tstzrange(
            m.covers_from,
            GREATEST(m.covers_from, LEAST(COALESCE(m.covers_until, 'infinity'::timestamptz), {end})),
            '[]')
        AND h.value_wh >= %(unit)s
        AND NOT EXISTS (SELECT 1 FROM certificates_contribution c WHERE c.history_read_id = h.id)"""
