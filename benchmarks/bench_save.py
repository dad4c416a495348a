"""Benchmark of one page save, in process, against the database of ``DATABASE_URL`` (PostgreSQL for figures).

Each of ``--responses`` drafts gets every page of the questionnaire saved
through ``surveys.services.response_save_page`` (what the section view calls),
with what the page showed and its revision when the service takes them (the
code of this branch) and without (older code): the figures compare the save
path before and after a change without the noise of HTTP and page rendering.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench .venv/bin/python benchmarks/bench_save.py --responses 200

Prints p50/p95/p99 of a page save in milliseconds. No assertion: numbers for the record only.
"""

import argparse
import inspect
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--responses", type=int, default=200)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")
    os.environ.setdefault("SECRET_KEY", "bench-only-" + "x" * 40)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from studies.instruments import instrument_version_default
    from studies.models import Respondent, School, SchoolClass, Study, Wave
    from surveys.models import Response
    from surveys.services import response_save_page
    from tests.surveys.answers import page_answers, sections

    stamp = time.strftime("%Y%m%d%H%M%S")
    study = Study.objects.create(code=f"bench-save-{stamp}", name="Save benchmark")
    wave = Wave.objects.create(study=study, code="w1", instrument=instrument_version_default())
    school_class = SchoolClass.objects.create(school=School.objects.create(study=study, code="S"), code="C")
    respondents = Respondent.objects.bulk_create(
        [Respondent(study=study, pid=f"B{stamp}-{i:05d}", school_class=school_class) for i in range(args.responses)]
    )
    version = wave.instrument.version
    responses = Response.objects.bulk_create(
        [Response(respondent=r, wave=wave, school_class=school_class, instrument_version=version) for r in respondents]
    )
    protocol = "shown" in inspect.signature(response_save_page).parameters
    pages = [(section, page_answers(section)) for section in sections()]
    order = [*sections(), "review"]
    timings = []
    for response in responses:
        stored, revision = {}, 0
        for position, (section, answers) in enumerate(pages):
            extra = {}
            if protocol:
                extra = {"shown": {code: stored.get(code) for code in answers}, "revision": revision, "order": order, "device": "bench"}
            start = time.perf_counter()
            result = response_save_page(
                response_id=response.pk, section=section, answers=answers, lang="zh-hans", next_section=order[position + 1], **extra
            )
            timings.append(time.perf_counter() - start)
            saved = getattr(result, "response", result)
            stored, revision = saved.answers, getattr(saved, "revision", 0)
    timings.sort()
    q = statistics.quantiles(timings, n=100, method="inclusive")
    print(f"{len(timings)} page saves ({'with' if protocol else 'without'} the shown/revision protocol): "
          f"p50 {q[49] * 1000:.1f} ms, p95 {q[94] * 1000:.1f} ms, p99 {q[98] * 1000:.1f} ms")


if __name__ == "__main__":
    main()
