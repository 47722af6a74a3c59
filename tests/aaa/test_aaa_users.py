"""aaa.users / aaa.md5crypt: the XAuth backend (IOS local users and login method lists)."""

import pytest

from vpnrouter.aaa import Aaa, LocalUser, UserDatabase
from vpnrouter.aaa.md5crypt import md5_crypt, verify

# `openssl passwd -1 -salt SALT PASSWORD` on the development machine.
OPENSSL_VECTORS = [
    ("password", "saltsalt", "$1$saltsalt$qjXMvbEw8oaL.CzflDtaK/"),
    ("cisco", "4Zx0", "$1$4Zx0$uXTxIbv98XPItgpeU7CZu."),
    ("", "abcdefghij", "$1$abcdefgh$M55TzYaaccxVGbptZWaxX/"),
    (
        "a very long password that is longer than sixteen bytes",
        "x",
        "$1$x$MvaNYYfqo.ZzKsQIpqMWh0",
    ),
]


@pytest.mark.parametrize(("password", "salt", "expected"), OPENSSL_VECTORS)
def test_md5_crypt_matches_openssl(password: str, salt: str, expected: str) -> None:
    assert md5_crypt(password, salt) == expected
    assert verify(password, expected)
    assert not verify(password + "x", expected)


def test_verify_rejects_malformed_hashes() -> None:
    assert not verify("cisco", "cisco")
    assert not verify("cisco", "$5$abc$def")
    assert not verify("cisco", "$1$4Zx0")


SEED = UserDatabase(
    [
        LocalUser("cisco", password="cisco"),
        LocalUser("admin", secret="$1$4Zx0$uXTxIbv98XPItgpeU7CZu."),
        LocalUser("guest", nopassword=True),
    ]
)


def test_local_is_case_insensitive_for_names_not_passwords() -> None:
    assert SEED.authenticate("cisco", "cisco").ok
    assert SEED.authenticate("CISCO", "cisco").ok
    assert not SEED.authenticate("cisco", "CISCO").ok
    assert not SEED.authenticate("CISCO", "cisco", case_sensitive=True).ok
    assert SEED.authenticate("admin", "cisco").ok  # secret 5
    assert not SEED.authenticate("admin", "admin").ok
    assert SEED.authenticate("guest", "anything").ok


def test_reasons_never_contain_the_password() -> None:
    wrong = SEED.authenticate("cisco", "s3cr3t-attempt")
    unknown = SEED.authenticate("nobody", "s3cr3t-attempt")
    assert not wrong.ok and not unknown.ok
    assert "s3cr3t" not in wrong.reason + unknown.reason
    assert wrong.reason == "wrong password for user 'cisco'"
    assert unknown.reason == "unknown user 'nobody'"
    assert "cisco" not in repr(LocalUser("u", password="cisco"))


def test_login_lists_follow_ios_method_order() -> None:
    aaa = Aaa(
        [LocalUser("cisco", password="cisco")],
        login_lists={
            "userauthen": ["local"],
            "strict": ["local-case"],
            "open": ["group", "none"],
            "radius": ["group"],
        },
    )
    assert aaa.authenticate("userauthen", "Cisco", "cisco").ok
    assert not aaa.authenticate("strict", "Cisco", "cisco").ok
    assert aaa.authenticate("open", "x", "y").ok  # the RADIUS group cannot answer: next method
    result = aaa.authenticate("radius", "cisco", "cisco")
    assert not result.ok and "no usable method" in result.reason
    undefined = aaa.authenticate("nosuchlist", "cisco", "cisco")
    assert not undefined.ok and "not defined" in undefined.reason


def test_a_failing_local_method_does_not_fall_through_to_none() -> None:
    aaa = Aaa([LocalUser("cisco", password="cisco")], login_lists={"l": ["local", "none"]})
    assert not aaa.authenticate("l", "cisco", "wrong").ok
    empty = Aaa([], login_lists={"l": ["local", "none"]})
    assert empty.authenticate("l", "anyone", "x").ok  # empty database is an error: next method


def test_network_authorization_lists() -> None:
    aaa = Aaa(network_lists={"groupauthor": ["local"], "remote": ["group"]})
    assert aaa.authorizes_locally("groupauthor")
    assert not aaa.authorizes_locally("remote")
    assert not aaa.authorizes_locally("undefined")
