"""Login throttling (django-axes): each way around a login brake, tried on every login form."""

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db(transaction=True)

GOOD = "pw-for-tests-1"
PROXY = "10.0.0.1"  # the TLS proxy every agent's request comes through


@pytest.fixture
def limits(settings):
    settings.LOGIN_FAILURES_ALLOWED = 3
    settings.LOGIN_ADDRESS_FAILURES_ALLOWED = 8


def login(username, password, address="10.1.1.1", path="/accounts/login/", **headers):
    client = Client(REMOTE_ADDR=address, **headers)
    response = client.post(path, {"username": username, "password": password, "next": "/"})
    return response, client


def logged_in(client) -> bool:
    return "_auth_user_id" in client.session


def fail(username, times, address="10.1.1.1", path="/accounts/login/", **headers):
    for _ in range(times):
        response, _ = login(username, "wrong", address, path, **headers)
        # The failure that reaches a limit is answered with the lockout page already.
        assert response.status_code in (200, 429), response.status_code


def test_a_username_is_locked_from_every_address(agents, limits):
    fail("alice", 3)
    response, client = login("alice", GOOD)
    assert response.status_code == 429 and b"Too many failed attempts" in response.content
    assert not logged_in(client)
    response, client = login("alice", GOOD, address="10.9.9.9")
    assert response.status_code == 429 and not logged_in(client)


def test_every_spelling_django_reads_as_the_user_is_locked_too(agents, limits):
    fail("alice", 3)
    for spelling in ["ａｌｉｃｅ", " alice ", " ａｌｉｃｅ\t"]:
        response, client = login(spelling, GOOD, address="10.2.2.2")
        assert response.status_code == 429, spelling
        assert not logged_in(client)


def test_fullwidth_failures_count_against_the_user(agents, limits):
    fail("ａｌｉｃｅ", 2)
    fail(" alice ", 1)
    response, client = login("alice", GOOD)
    assert response.status_code == 429 and not logged_in(client)


def test_another_users_good_login_never_resets_guesses_in_other_letter_case(
    agents, limits, django_user_model
):
    """Django usernames are case-sensitive: `Alice` is another user. Her good logins must not
    forget the failures counted against `alice` (a shared, case-folded key allowed unlimited
    guessing: two guesses, one good login as `Alice`, repeat)."""
    django_user_model.objects.create_user("Alice", password=GOOD)
    attacker = "10.6.6.6"
    for _ in range(2):
        fail("alice", 1, attacker)
        response, client = login("Alice", GOOD, attacker)
        assert response.status_code == 302 and logged_in(client)
    fail("alice", 1, attacker)
    response, client = login("alice", GOOD, "10.7.7.7")
    assert response.status_code == 429 and not logged_in(client)
    # And alice's lock is hers alone: Alice still logs in.
    response, client = login("Alice", GOOD, "10.8.8.8")
    assert response.status_code == 302 and logged_in(client)


def test_unlocked_fullwidth_spelling_logs_in_as_the_user(agents, limits):
    """Control: Django really does read the fullwidth spelling as alice."""
    response, client = login("ａｌｉｃｅ", GOOD)
    assert response.status_code == 302 and logged_in(client)


def test_logging_in_with_your_own_account_resets_nobody_elses_count(agents, limits):
    """Password spraying from one address while logging into one's own account between tries."""
    attacker = "10.6.6.6"
    for _ in range(2):
        fail("alice", 1, attacker)
        response, client = login("bob", GOOD, attacker)
        assert response.status_code == 302 and logged_in(client)
    fail("alice", 1, attacker)
    response, client = login("alice", GOOD, "10.7.7.7")
    assert response.status_code == 429 and not logged_in(client)


def test_a_good_login_forgets_only_the_users_own_failures(agents, limits):
    fail("alice", 2, PROXY)
    fail("bob", 2, PROXY)
    response, client = login("alice", GOOD, PROXY)
    assert response.status_code == 302 and logged_in(client)
    fail("alice", 2, PROXY)  # alice starts from zero again
    response, _ = login("alice", GOOD, PROXY)
    assert response.status_code == 302
    fail("bob", 1, PROXY)  # bob's two earlier failures still count: third locks
    response, client = login("bob", GOOD, PROXY)
    assert response.status_code == 429 and not logged_in(client)


def test_failures_for_other_users_do_not_lock_out_everyone_behind_the_proxy(agents, limits):
    for name in ["alice", "carol", "nobody", "lena"]:
        fail(name, 1, PROXY)
    fail("mallory", 3, PROXY)  # one username locked
    response, client = login("bob", GOOD, PROXY)
    assert response.status_code == 302 and logged_in(client)


def test_the_bare_address_has_its_own_generous_limit(agents, limits):
    names = [f"guess{i}" for i in range(8)]
    for name in names:
        fail(name, 1, "10.8.8.8")
    response, client = login("bob", GOOD, "10.8.8.8")
    assert response.status_code == 429 and not logged_in(client)
    response, client = login("bob", GOOD, "10.8.8.9")
    assert response.status_code == 302 and logged_in(client)


def test_the_admin_login_is_covered_by_the_same_lock(agents, limits):
    fail("lena", 3, path="/admin/login/")
    response, client = login("lena", GOOD, path="/admin/login/")
    assert response.status_code == 429 and not logged_in(client)
    response, client = login("lena", GOOD)
    assert response.status_code == 429 and not logged_in(client)


def test_failures_on_the_agent_form_lock_the_admin_form(agents, limits, django_user_model):
    django_user_model.objects.filter(username="lena").update(is_staff=True)
    fail("lena", 2)
    fail("ｌｅｎａ", 1, path="/admin/login/")
    response, client = login("lena", GOOD, path="/admin/login/")
    assert response.status_code == 429 and not logged_in(client)


def test_a_forged_forwarded_for_header_is_ignored_by_default(agents, limits):
    for i in range(8):
        fail(f"guess{i}", 1, "10.8.8.8", HTTP_X_FORWARDED_FOR=f"192.0.2.{i}")
    response, _ = login("bob", GOOD, "10.8.8.8", HTTP_X_FORWARDED_FOR="192.0.2.200")
    assert response.status_code == 429


def test_behind_trusted_proxies_the_client_address_is_read_from_the_right(agents, limits, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    # Every request comes from the proxy; the client forges a left-hand entry each time.
    for i in range(8):
        fail(f"guess{i}", 1, PROXY, HTTP_X_FORWARDED_FOR=f"192.0.2.{i}, 203.0.113.5")
    response, client = login("bob", GOOD, PROXY, HTTP_X_FORWARDED_FOR="203.0.113.5")
    assert response.status_code == 429 and not logged_in(client)
    # Another agent behind the same proxy is not affected.
    response, client = login("bob", GOOD, PROXY, HTTP_X_FORWARDED_FOR="198.51.100.7")
    assert response.status_code == 302 and logged_in(client)


def test_client_address_rules(rf, settings):
    from agentdesk.accounts.clientip import client_address

    def address(remote, forwarded=None):
        meta = {"REMOTE_ADDR": remote}
        if forwarded is not None:
            meta["HTTP_X_FORWARDED_FOR"] = forwarded
        return client_address(rf.get("/", **meta))

    settings.TRUSTED_PROXY_COUNT = 0
    assert address("10.0.0.1", "1.2.3.4") == "10.0.0.1"
    settings.TRUSTED_PROXY_COUNT = 2
    assert address("10.0.0.2", "6.6.6.6, 1.2.3.4, 10.0.0.1") == "1.2.3.4"
    assert address("10.0.0.2", "1.2.3.4") == "10.0.0.2"  # fewer hops than proxies: not trusted
    assert address("10.0.0.2", "junk, 10.0.0.1") == "10.0.0.2"
    assert address("10.0.0.2", "2001:db8::1, 10.0.0.1") == "2001:db8::1"
