"""The API's documentation shown at /api/v1/docs/ (the schema's description; no Django import here)."""

from config.api_rates import USER_RATE

API_DESCRIPTION = f"""
Studies, waves, pseudonymous responses, scores, exports and analysis runs of the user's studies.

**Authentication.** A personal token made on `/research/tokens/` (shown once, stored hashed, with an
expiry of 30, 90 or 365 days, revoked on the same page): `Authorization: Bearer sp_...`. Tokens made
by an administrator (`Authorization: Token ...`) and the site's session work too. A token reads what
its owner's roles allow.

**Pages.** Lists are paged by number (`page`, `count`) with `page_size` up to 1,000 (default 100).
Responses and scores, the lists a script pulls whole, are paged by a cursor: follow `next` (no
`count`, no skipped or repeated rows while data arrives), `page_size` up to 1,000, `ordering=id` or
`-id`. A pull of 1,000,000 responses is 1,000 requests.

**Ordering.** `ordering=FIELD` or `-FIELD` on the fields each list documents.

**Filters.** Ids end in `_id` (`wave_id`, `study_id`, `school_id`, `class_id`), codes in `_code`
(`study_code`, `wave_code`, `school_code`, `class_code`). The former names (`wave`, `study`, `school`,
`school_class`) still work and are marked deprecated.

**Errors.** Every error reply is `{{"error": {{"code": ..., "message": ..., "fields": ...}}}}`: `code`
is stable (see the `Error` schema), `message` is for people, `fields` holds the messages per parameter
or body field of a validation error (else null); a throttled reply adds `retry_after` (seconds).

**Language.** Messages follow `Accept-Language` (`zh-Hans` or `en`); without it, English. The reply's
`Content-Language` says which.

**Rates.** {USER_RATE} requests per user (a full pull of 1,000,000 rows and more); the students'
submit is limited per client.

**Analysis runs.** `models` (A, B or both) chooses the models of a run (`study` is its deprecated
alias). A run can be pinned for a paper (`POST .../pin/`): `current` and the exports then use it
until it is unpinned; `latest` is the latest succeeded run.
""".strip()
