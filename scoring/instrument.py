"""The instrument, read from the data dictionary: the one source of truth.

Forms, scoring, the API and every export take item codes, option codes,
reverse keys and scales from here, never from hand-copied lists. Wording
lives in a separate file keyed by code, so that a study can load the licensed
wording of a scale without touching code (``load_instrument(wording=...)``).

Plain Python: no Django import (an import-linter contract checks this).
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path

DEFINITIONS_DIR = Path(__file__).resolve().parent / "definitions"
DEFAULT_DICTIONARY = DEFINITIONS_DIR / "variables.csv"
DEFAULT_WORDING = DEFINITIONS_DIR / "wording.csv"
DEFAULT_VERSION = "1"
LANGUAGES = ("zh-hans", "en")
DEFAULT_LANGUAGE = "zh-hans"
RESIDENCE_YEARS = range(1, 13)
# Composite scales: scores over the items of several item scales of the dictionary (whose ``scale``
# column names only item scales). ``rsca`` itself pools every ``rsca_*`` scale (``scales_with_prefix``).
COMPOSITE_SCALES = {
    "rsca_indiv": ("rsca_goal", "rsca_affect", "rsca_positive"),
    "rsca_support": ("rsca_family", "rsca_help"),
    "pcr": ("pcr_father", "pcr_mother"),
}
# The teacher's-attitude scale (its items: ``Instrument.scale_codes(TEACHER_ATTITUDE)``, tatt1..tatt3).
TEACHER_ATTITUDE = "tatt"
RESIDENCE_PERSONS = ("child", "father", "mother")
_CONDITION = re.compile(r"^(?P<subject>[a-z][a-z0-9_]*)(?:\+(?P<offset>\d+))?(?P<op>==|>=)(?P<value>-?\d+)$")
AGE = "age"  # the only derived value a condition may name: the child's completed age


class InstrumentError(ValueError):
    """The dictionary or a wording file does not have the expected form."""


@dataclass(frozen=True)
class Option:
    code: int | str  # str only for string metadata such as ``lang``
    label: dict = field(compare=False, hash=False)  # lang -> text

    def text(self, lang: str) -> str:
        return self.label.get(lang) or self.label["en"]


@dataclass(frozen=True)
class Condition:
    """When an item is asked: the dictionary's ``asked_when`` (``parent_away==1``, ``age+1>=5``)."""

    subject: str  # an item code, or ``age``
    op: str  # ``==`` or ``>=``
    value: int
    offset: int = 0

    @classmethod
    def parse(cls, text: str) -> Condition | None:
        text = text.replace(" ", "")
        if not text:
            return None
        match = _CONDITION.match(text)
        if not match:
            raise InstrumentError(f"asked_when {text!r} is not of the form 'code==N' or 'age+K>=N'")
        return cls(match["subject"], match["op"], int(match["value"]), int(match["offset"] or 0))

    def holds(self, subject_value):
        """Whether the condition holds for the subject's value (a number or a numpy array; missing is False)."""
        left = subject_value + self.offset
        return left == self.value if self.op == "==" else left >= self.value

    def __str__(self) -> str:
        offset = f"+{self.offset}" if self.offset else ""
        return f"{self.subject}{offset}{self.op}{self.value}"


@dataclass(frozen=True)
class Variable:
    """One row of ``variables.csv`` (with its wording, for items)."""

    code: str
    section: str
    kind: str  # meta | item | derived
    type: str  # string | datetime | int | choice | likert5 | float | bool
    options: tuple = ()  # Option, for choice / likert5 / bool
    value_range: tuple | None = None  # (low, high) for int and float
    reverse: bool = False
    scale: str = ""
    description: str = ""
    asked_when: Condition | None = None
    model_covariate: bool = False
    wording: dict = field(default_factory=dict, compare=False, hash=False)

    @property
    def is_item(self) -> bool:
        return self.kind == "item"

    def is_asked(self, answers: dict, age: int | None) -> bool:
        """Whether this item is asked, given the answers so far and the child's age (all ages while unknown)."""
        condition = self.asked_when
        if condition is None:
            return True
        if condition.subject == AGE:
            return age is None or bool(condition.holds(age))
        value = answers.get(condition.subject)
        return value is not None and bool(condition.holds(value))

    @property
    def option_codes(self) -> tuple:
        return tuple(option.code for option in self.options)

    def text(self, lang: str) -> str:
        """The question as shown to a student in ``lang``."""
        return self.wording.get(lang) or self.wording.get("en") or self.description

    def option_text(self, code: int, lang: str) -> str:
        for option in self.options:
            if option.code == code:
                return option.text(lang)
        raise KeyError(f"{self.code} has no option {code}")

    def allowed(self, value) -> bool:
        """Whether ``value`` (an int) is a valid answer to this item."""
        if self.options:
            return value in self.option_codes
        if self.value_range:
            low, high = self.value_range
            return low <= value <= high
        return True


@dataclass(frozen=True)
class Section:
    code: str
    title: dict = field(compare=False, hash=False)
    intro: dict = field(compare=False, hash=False)
    items: tuple = ()  # item codes in dictionary order

    def text(self, lang: str) -> str:
        return self.title.get(lang) or self.title.get("en") or self.code

    def intro_text(self, lang: str) -> str:
        return self.intro.get(lang) or self.intro.get("en") or ""


class Instrument:
    """The questionnaire definition of one version."""

    def __init__(self, variables: list[Variable], sections: list[Section], *, version: str, fingerprint: str, texts: dict):
        self.variables = variables
        self.sections = sections
        self.version = version
        self.fingerprint = fingerprint
        self._texts = texts
        self._by_code = {variable.code: variable for variable in variables}

    def __getitem__(self, code: str) -> Variable:
        return self._by_code[code]

    def __contains__(self, code: str) -> bool:
        return code in self._by_code

    def get(self, code: str, default: Variable | None = None) -> Variable | None:
        return self._by_code.get(code, default)

    def text(self, key: str, lang: str, default: str = "") -> str:
        """A free-standing text of the wording file (help, page titles...)."""
        entry = self._texts.get(key, {})
        return entry.get(lang) or entry.get("en") or default

    @cached_property
    def codes(self) -> list[str]:
        """Every code in dictionary order: the column order of exports."""
        return [variable.code for variable in self.variables]

    @cached_property
    def meta_codes(self) -> list[str]:
        return [v.code for v in self.variables if v.kind == "meta"]

    @cached_property
    def item_codes(self) -> list[str]:
        return [v.code for v in self.variables if v.kind == "item"]

    @cached_property
    def derived_codes(self) -> list[str]:
        return [v.code for v in self.variables if v.kind == "derived"]

    @cached_property
    def items(self) -> list[Variable]:
        return [v for v in self.variables if v.kind == "item"]

    @cached_property
    def steering_items(self) -> frozenset:
        """Items whose answer decides whether a follow-up is asked."""
        return frozenset(v.asked_when.subject for v in self.items if v.asked_when and v.asked_when.subject != AGE)

    @cached_property
    def model_covariates(self) -> list[str]:
        """Variables whose absence sets ``flag_missing_covariates`` (the dictionary's ``model_covariate``)."""
        return [v.code for v in self.variables if v.model_covariate]

    def residence_years_asked(self, age: int | None) -> range:
        """Years of life asked, from the ``asked_when`` of the child's residence items (all 12 while age is unknown)."""
        years = [y for y in RESIDENCE_YEARS if self[self.residence_code("child", y)].is_asked({}, age)]
        return range(years[0], years[-1] + 1) if years else range(0)

    def section(self, code: str) -> Section:
        for section in self.sections:
            if section.code == code:
                return section
        raise KeyError(code)

    def scale_items(self, scale: str) -> list[Variable]:
        """Items of a scale or subscale, in dictionary order."""
        return [v for v in self.variables if v.kind == "item" and v.scale == scale]

    def scale_codes(self, scale: str) -> tuple[str, ...]:
        """Item codes of an item scale or of a composite (``COMPOSITE_SCALES``), in dictionary order."""
        parts = set(COMPOSITE_SCALES.get(scale, (scale,)))
        return tuple(v.code for v in self.variables if v.kind == "item" and v.scale in parts)

    def scales_with_prefix(self, prefix: str) -> list[str]:
        seen: list[str] = []
        for variable in self.variables:
            if variable.kind == "item" and variable.scale.startswith(prefix) and variable.scale not in seen:
                seen.append(variable.scale)
        return seen

    @staticmethod
    def residence_code(person: str, year: int) -> str:
        return f"res_{person}_{year:02d}"


def completed_age(birth_year: int | None, birth_month: int | None, on) -> int | None:
    """Completed years on the date ``on`` for a child born on day 1 of ``birth_month``."""
    if birth_year is None or birth_month is None:
        return None
    return on.year - birth_year - (1 if on.month < birth_month else 0)


def _parse_options(raw: str, type_: str) -> tuple[tuple, tuple | None]:
    if not raw:
        return (), None
    if type_ in ("int", "float"):
        low, _, high = raw.partition("-")
        cast = int if type_ == "int" else float
        return (), (cast(low), cast(high))
    options = []
    for part in raw.split("|"):
        code, _, label = part.partition("=")
        options.append(Option(code=int(code) if code.lstrip("-").isdigit() else code, label={"en": label or code}))
    return tuple(options), None


def read_wording(source) -> dict[str, dict[str, str]]:
    """Read a wording file: CSV with a ``key`` column and one column per language.

    Keys: an item code (question text), ``code=N`` (option label),
    ``section:NAME`` and ``section:NAME:intro``, and free keys such as
    ``help:title``. A partial file overrides only the keys it has.
    """
    text = source.read_text(encoding="utf-8-sig") if isinstance(source, Path) else source
    reader = csv.DictReader(io.StringIO(text))
    if not reader.fieldnames or "key" not in reader.fieldnames:
        raise InstrumentError("a wording file needs a 'key' column and one column per language")
    wording: dict[str, dict[str, str]] = {}
    for row in reader:
        key = (row.get("key") or "").strip()
        if not key:
            continue
        wording[key] = {lang: (row.get(lang) or "").strip() for lang in LANGUAGES if (row.get(lang) or "").strip()}
    return wording


def write_wording(wording: dict[str, dict[str, str]]) -> str:
    """The CSV text of a wording mapping, readable by ``read_wording``."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["key", *LANGUAGES])
    for key, texts in wording.items():
        writer.writerow([key, *(texts.get(lang, "") for lang in LANGUAGES)])
    return buffer.getvalue()


def build_instrument(dictionary_text: str, wording: dict, *, version: str) -> Instrument:
    reader = csv.DictReader(io.StringIO(dictionary_text))
    required = {"code", "section", "kind", "type", "options", "reverse", "scale", "description", "asked_when", "model_covariate"}
    missing = required - set(reader.fieldnames or ())
    if missing:
        raise InstrumentError(f"the data dictionary lacks columns: {', '.join(sorted(missing))}")
    variables: list[Variable] = []
    for row in reader:
        code = row["code"].strip()
        options, value_range = _parse_options(row["options"].strip(), row["type"].strip())
        options = tuple(
            Option(code=o.code, label={**o.label, **wording.get(f"{code}={o.code}", {})}) for o in options
        )
        variables.append(
            Variable(
                code=code,
                section=row["section"].strip(),
                kind=row["kind"].strip(),
                type=row["type"].strip(),
                options=options,
                value_range=value_range,
                reverse=row["reverse"].strip().lower() in ("yes", "1", "true"),
                scale=row["scale"].strip(),
                description=row["description"].strip(),
                asked_when=Condition.parse(row["asked_when"]),
                model_covariate=row["model_covariate"].strip() == "1",
                wording=wording.get(code, {}),
            )
        )
    item_codes = {v.code for v in variables if v.kind == "item"}
    for variable in variables:
        condition = variable.asked_when
        if condition and condition.subject != AGE and condition.subject not in item_codes:
            raise InstrumentError(f"{variable.code}: asked_when names {condition.subject!r}, which is no item")
    section_items: dict[str, list[str]] = {}
    for variable in variables:
        if variable.kind == "item":
            section_items.setdefault(variable.section, []).append(variable.code)
    sections = [
        Section(
            code=name,
            title=wording.get(f"section:{name}", {}),
            intro=wording.get(f"section:{name}:intro", {}),
            items=tuple(codes),
        )
        for name, codes in section_items.items()
    ]
    digest = hashlib.sha256(dictionary_text.encode())
    for key in sorted(wording):
        digest.update(repr((key, sorted(wording[key].items()))).encode())
    return Instrument(variables, sections, version=version, fingerprint=digest.hexdigest()[:16], texts=wording)


def load_instrument(
    dictionary: Path | None = None, wording: Path | str | None = None, *, version: str = DEFAULT_VERSION
) -> Instrument:
    """The instrument from a dictionary file and the default wording.

    ``wording`` (a path, or the CSV text itself) overrides the default wording
    key by key, e.g. with the licensed items of a scale.
    """
    texts = read_wording(DEFAULT_WORDING) if DEFAULT_WORDING.exists() else {}
    if wording is not None:
        override = read_wording(Path(wording) if isinstance(wording, Path) else wording)
        texts = {**texts, **{key: {**texts.get(key, {}), **value} for key, value in override.items()}}
    dictionary_text = (dictionary or DEFAULT_DICTIONARY).read_text(encoding="utf-8-sig")
    return build_instrument(dictionary_text, texts, version=version)


@lru_cache(maxsize=1)
def default_instrument() -> Instrument:
    """The bundled instrument (version 1), cached per process."""
    return load_instrument()
