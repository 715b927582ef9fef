from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from frontline.followups.models import FollowUp
from tests.factories import CustomerFactory, FollowUpFactory, staff_at
from tests.followups.conftest import client_for


@pytest.fixture
def day_of(associate, customer, today):
    """One follow-up overdue, one due today, one next week, one done, one a colleague's."""

    def make(name, due_on, **extra):
        person = CustomerFactory(first_name=name, preferred_store=customer.preferred_store)
        return FollowUpFactory(customer=person, assignee=associate, due_on=due_on, **extra)

    return {
        "overdue": make("Olga", today - timedelta(days=2)),
        "today": make("Tina", today),
        "upcoming": make("Uma", today + timedelta(days=3)),
        "done": make("Dora", today, status="done", outcome="reached"),
    }


def test_the_home_screen_is_my_day_with_the_search_box(associate, day_of):
    html = client_for(associate).get("/").content.decode()
    assert 'id="customer-search"' in html and 'id="search-results"' in html
    overdue = html.index('id="overdue-title"')
    due_today = html.index('id="today-title"')
    upcoming = html.index('id="upcoming-title"')
    assert overdue < html.index("Olga") < due_today < html.index("Tina") < upcoming
    assert upcoming < html.index("Uma")
    assert "Dora" not in html
    # Key facts one tap away, and the forms that work without JavaScript.
    assert "<summary>Key facts</summary>" in html
    followup = day_of["today"]
    assert f'action="{reverse("followups:complete", args=[followup.pk])}"' in html
    assert f'action="{reverse("followups:snooze", args=[followup.pk])}"' in html


def test_each_cards_work_forms_carry_that_follow_ups_own_values(associate, customer, today):
    """The forms are rendered once per page and filled in per card (followup_cards.py): every
    card must still post to its own follow-up, name its own customer, escaped, and link to
    messaging that customer."""
    cards = [
        FollowUpFactory(
            customer=CustomerFactory(first_name=name, preferred_store=customer.preferred_store),
            assignee=associate,
            due_on=today,
            reason="other",
            reason_text=title,
        )
        for name, title in (("Ann <b>", 'Call "back" & <i>'), ("Bea", "Thank you"))
    ]
    html = client_for(associate).get("/").content.decode()
    for followup in cards:
        start = html.index(
            f'<article class="card followup followup-open" id="followup-{followup.pk}"'
        )
        card = html[start : html.index("</article>", start)]
        url = reverse("followups:detail", args=[followup.pk])
        compose = reverse("outreach:compose", args=[followup.customer_id])
        assert f'action="{url}complete/"' in card and f'hx-post="{url}snooze/"' in card
        assert f'hx-target="#followup-{followup.pk}"' in card
        assert f'id="outcome-{followup.pk}"' in card and f'id="until-{followup.pk}"' in card
        assert f'href="{compose}?followup={followup.pk}"' in card
        assert 'name="csrfmiddlewaretoken"' in card and "\x00" not in card
    assert "Follow-up “Call &quot;back&quot; &amp; &lt;i&gt;” for Ann &lt;b&gt;" in html
    assert "Follow-up “Thank you” for Bea" in html
    assert "<b>" not in html and "<i>" not in html


def test_an_empty_day_says_so(associate):
    html = client_for(associate).get("/").content.decode()
    assert "Nothing overdue. Well done." in html
    assert "No follow-ups due today." in html
    assert "No holds expire today." in html
    assert "No suggestions for the customers in your book right now." in html


def test_my_day_reads_a_fixed_number_of_queries(associate, customer, today):
    client = client_for(associate)

    def queries() -> int:
        # The follow-ups' own queries: the rest of the page (session, cached navigation) is
        # not theirs, and a cache shared with a parallel test run may add one now and then.
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/").status_code == 200
        return sum("followups_" in query["sql"] for query in captured.captured_queries)

    # One in each section to begin with (an empty section costs no query at all).
    for offset in (-1, 0, 1):
        FollowUpFactory(customer=customer, assignee=associate, due_on=today + timedelta(offset))
    few = queries()
    for offset in range(-3, 6):
        for _ in range(3):
            FollowUpFactory(
                customer=CustomerFactory(preferred_store=customer.preferred_store),
                assignee=associate,
                due_on=today + timedelta(days=offset),
            )
    assert queries() == few > 0


def test_completing_without_javascript_redirects_back_with_a_message(associate, day_of):
    followup = day_of["today"]
    response = client_for(associate).post(
        reverse("followups:complete", args=[followup.pk]),
        {"outcome": "reached", "note": "All good", "channel": "phone", "next": "/"},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == "/"
    assert "Done: the note is on the customer&#x27;s timeline." in response.content.decode()
    followup.refresh_from_db()
    assert followup.status == "done"


def test_completing_under_htmx_answers_with_the_card(associate, day_of):
    followup = day_of["today"]
    response = client_for(associate).post(
        reverse("followups:complete", args=[followup.pk]),
        {"outcome": "no_answer", "channel": "phone"},
        HTTP_HX_REQUEST="true",
    )
    html = response.content.decode()
    assert response.status_code == 200 and "<html" not in html
    assert f'id="followup-{followup.pk}"' in html and "No answer" in html


def test_a_snooze_without_a_reason_is_shown_on_the_card(associate, day_of):
    followup = day_of["today"]
    response = client_for(associate).post(
        reverse("followups:snooze", args=[followup.pk]),
        {"until": (followup.due_on + timedelta(days=2)).isoformat(), "reason": ""},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 400
    assert "This field is required." in response.content.decode()
    followup.refresh_from_db()
    assert followup.status == "open"


def test_a_colleague_sees_a_follow_up_read_only_and_cannot_complete_it(
    associate, colleague, day_of
):
    followup = day_of["today"]
    client = client_for(colleague)
    html = client.get(reverse("followups:detail", args=[followup.pk])).content.decode()
    assert "Tina" in html
    assert reverse("followups:complete", args=[followup.pk]) not in html
    response = client.post(
        reverse("followups:complete", args=[followup.pk]),
        {"outcome": "reached", "channel": "phone"},
        follow=True,
    )
    assert "only they may complete it" in response.content.decode()
    followup.refresh_from_db()
    assert followup.status == "open"


def test_another_store_gets_404_on_every_follow_up_page(outsider, other_manager, day_of):
    followup = day_of["today"]
    for user in (outsider, other_manager):
        client = client_for(user)
        assert client.get(reverse("followups:detail", args=[followup.pk])).status_code == 404
        for name, data in [
            ("complete", {"outcome": "reached", "channel": "phone"}),
            ("cancel", {}),
            ("reassign", {"assignee": user.pk}),
        ]:
            url = reverse(f"followups:{name}", args=[followup.pk])
            assert client.post(url, data).status_code == 404
            assert client.post(url, {}).status_code == 404  # bad input: still not found
    # The same answer as for a follow-up that does not exist at all.
    missing = reverse("followups:detail", args=[followup.pk + 1000])
    assert client_for(outsider).get(missing).status_code == 404
    followup.refresh_from_db()
    assert followup.status == "open"


def test_the_profile_panel_lists_the_customers_follow_ups(associate, customer, today):
    FollowUpFactory(customer=customer, assignee=associate, due_on=today, reason_text="coat")
    client = client_for(associate)
    panel = reverse("customers:panel", args=[customer.pk, "followups"])
    html = client.get(panel, HTTP_HX_REQUEST="true").content.decode()
    assert "Thank you: coat" in html
    assert reverse("followups:new", args=[customer.pk]) in html


def test_a_manager_plans_a_follow_up_from_the_profile(manager, associate, customer, tomorrow):
    client = client_for(manager)
    url = reverse("followups:new", args=[customer.pk])
    assert "Alex Reed" in client.get(url).content.decode()
    response = client.post(
        url,
        {
            "assignee": associate.pk,
            "due_on": tomorrow.isoformat(),
            "reason": "event_invite",
            "reason_text": "Winter preview",
            "priority": "1",
        },
    )
    assert response.status_code == 302
    followup = FollowUp.objects.get()
    assert (followup.assignee, followup.reason, followup.priority) == (associate, "event_invite", 1)


def test_the_form_shows_why_a_past_day_is_refused(manager, associate, customer, today):
    response = client_for(manager).post(
        reverse("followups:new", args=[customer.pk]),
        {
            "assignee": associate.pk,
            "due_on": (today - timedelta(days=1)).isoformat(),
            "reason": "thank_you",
            "priority": "2",
        },
    )
    assert response.status_code == 400
    assert "Choose today or a later day" in response.content.decode()
    assert not FollowUp.objects.exists()


def test_planning_for_another_stores_customer_is_404(manager, customer_elsewhere):
    url = reverse("followups:new", args=[customer_elsewhere.pk])
    assert client_for(manager).get(url).status_code == 404


def test_the_team_board_counts_each_persons_follow_ups(
    manager, associate, colleague, customer, today
):
    FollowUpFactory(customer=customer, assignee=associate, due_on=today)
    FollowUpFactory(customer=customer, assignee=associate, due_on=today - timedelta(days=1))
    FollowUpFactory(customer=customer, assignee=colleague, due_on=today + timedelta(days=1))
    html = client_for(manager).get(reverse("followups:team")).content.decode()
    assert "Follow-ups at London" in html
    alex = html[html.index("Alex Reed") :]
    cells = [cell.split("</td>")[0] for cell in alex.split("<td>")[1:5]]
    assert cells == ["2", "1", "1", "0"]


def test_associates_and_other_stores_managers_get_no_team_board(associate, other_manager, store):
    assert client_for(associate).get(reverse("followups:team")).status_code == 404
    url = reverse("followups:team") + f"?store={store.pk}"
    assert client_for(other_manager).get(url).status_code == 404


def test_the_team_board_reads_a_fixed_number_of_queries(manager, store, customer, today):
    client = client_for(manager)
    staff = [staff_at(store) for _ in range(3)]

    def queries() -> int:
        # As for my day: the board's own queries (staff and follow-ups).
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse("followups:team")).status_code == 200
        return sum(
            "followups_" in query["sql"] or "staff_storeassignment" in query["sql"]
            for query in captured.captured_queries
        )

    few = queries()
    for person in staff:
        for offset in range(-2, 3):
            FollowUpFactory(customer=customer, assignee=person, due_on=today + timedelta(offset))
    assert queries() == few > 0


def later_today(store):
    """Halfway between now and the store's midnight: "today" whatever the time of the run."""
    from datetime import datetime, time

    from django.utils import timezone

    from frontline.followups.selectors import store_today

    midnight = datetime.combine(
        store_today(store) + timedelta(days=1), time.min, tzinfo=store.time_zone
    )
    return timezone.now() + (midnight - timezone.now()) / 2


def test_my_day_shows_holds_expiring_today_and_suggestions_for_the_book(associate, customer, store):

    from tests.factories import ActionSuggestionFactory, StockLevelFactory

    stock = StockLevelFactory(store=store, on_hand=3)
    from frontline.catalog.models import Hold

    Hold.objects.create(
        customer=customer,
        variant=stock.variant,
        store=store,
        quantity=1,
        expires_at=later_today(store),
        created_by=associate,
    )
    customer.preferred_associate = associate
    customer.save()
    ActionSuggestionFactory(customer=customer, rule="lapsing_high_value", reason="Not seen")
    html = client_for(associate).get("/").content.decode()
    holds = html[html.index('id="holds-title"') : html.index('id="actions-title"')]
    assert "Ada Lovelace" in holds and stock.variant.product.name in holds
    assert "Not seen" in html[html.index('id="actions-title"') :]


def test_more_than_a_screenful_links_to_the_whole_section(associate, store, today):
    for _ in range(12):
        FollowUpFactory(
            customer=CustomerFactory(preferred_store=store),
            assignee=associate,
            due_on=today - timedelta(days=1),
        )
    client = client_for(associate)
    html = client.get("/").content.decode()
    more = reverse("followups:mine", args=["overdue"])
    assert f'href="{more}">And 2 more</a>' in html
    page = client.get(more).content.decode()
    assert page.count('class="card followup') == 12
    assert client.get(reverse("followups:mine", args=["someday"])).status_code == 404
