"""Steps a student takes in the browser."""

from urllib.parse import urlparse


def no_horizontal_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def click_and_follow(page, selector: str) -> None:
    """Click a button that sends its form (by fetch, with retries) and wait for the next page."""
    with page.expect_navigation():
        page.click(selector)
    page.wait_for_load_state()
    page_kept(page)


def page_kept(page) -> None:
    """Wait until the page script has filled the page from the phone's copy of the questionnaire, if it keeps one."""
    page.wait_for_function("() => !document.body || !document.body.dataset.offlineKey || document.body.dataset.kept")


def enter_code(page, base_url: str, code: str) -> None:
    page.goto(base_url + "/")
    page.fill("input[name=code]", f"{code[:4].lower()}-{code[4:]}")
    click_and_follow(page, "button[type=submit].primary")


def give_assent(page) -> None:
    page.check("input[name=agree]")
    click_and_follow(page, "button.primary")


def answer_page(page, *, birth_year: int | None = None) -> None:
    """Answer every visible question of the page: the middle option, or a set birth date."""
    if page.locator("select[name=birth_year]").count():
        page.select_option("select[name=birth_year]", str(birth_year))
        page.select_option("select[name=birth_month]", "1")
    if page.locator("input[name=parent_away]").count():
        page.locator("input[name=parent_away][value='1']").check()
    for fieldset in page.locator("fieldset.item:visible").all():
        radios = fieldset.locator("input[type=radio]")
        if radios.count() and not fieldset.locator("input[type=radio]:checked").count():
            radios.nth(radios.count() // 2).check()
        for select in fieldset.locator("select").all():
            if not select.input_value():
                select.select_option(index=1)
    years = page.locator("fieldset.year")
    if years.count():
        page.select_option("select[name=res_child_01]", "1")
        page.select_option("select[name=res_father_01]", "2")
        page.select_option("select[name=res_mother_01]", "1")
        for year in range(2, years.count() + 1):
            page.check(f"input[data-same-year='{year}']")


def next_page(page) -> None:
    click_and_follow(page, "button[name=next]")


def start_questionnaire(page, base_url: str, code: str, *, age: int) -> None:
    """Enter the code, give assent, answer the first page as a child of ``age`` and go on to the second page."""
    from django.utils import timezone

    enter_code(page, base_url, code)
    give_assent(page)
    answer_page(page, birth_year=timezone.localdate().year - age)
    next_page(page)


def path_of(page) -> str:
    return urlparse(page.url).path
