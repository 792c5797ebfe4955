from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from branding import BUILTIN_BRANDS_DIR, BrandError, BrandRegistry, brand_css
from branding.registry import normalise_host

DEFAULT_TOML = """
id = "default"
name = "Base"
hosts = ["localhost"]
[colours]
primary = "#000001"
on-primary = "#ffffff"
accent = "#000002"
bg = "#000003"
surface = "#000004"
text = "#000005"
muted = "#000006"
border = "#000007"
focus = "#000008"
danger = "#000009"
success = "#00000a"
warning = "#00000b"
"""


def write(root: Path, brand_id: str, text: str) -> Path:
    path = root / brand_id / "brand.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


@pytest.fixture
def builtin() -> BrandRegistry:
    return BrandRegistry.load([BUILTIN_BRANDS_DIR])


def test_builtin_brands(builtin: BrandRegistry) -> None:
    assert builtin.ids() == ("acme", "default")
    default = builtin.get("default")
    assert (default.name, default.product_name, default.hosts, default.parent) == (
        "Switchboard",
        "Switchboard",
        ("localhost", "127.0.0.1"),
        None,
    )
    acme = builtin.get("acme")
    assert (acme.name, acme.hosts, acme.parent) == ("Acme Telecom", ("acme.localhost",), "default")
    assert acme.colours["primary"] == "#6b1d4f"
    assert acme.colours["text"] == default.colours["text"]  # inherited
    assert acme.colours["primary"] != default.colours["primary"]
    assert acme.logo_url == "/brand/acme/static/logo.svg"
    assert default.logo_url == "/brand/default/static/logo.svg"
    assert (
        acme.css_url == "/brand/acme/brand.css?v=" + hashlib.sha256(brand_css(acme).encode()).hexdigest()[:12]
    )


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("localhost", "default"),
        ("127.0.0.1:8443", "default"),
        ("ACME.localhost:8443", "acme"),
        ("acme.localhost.", "acme"),
        ("unknown.example", "default"),
        ("[::1]:8443", "default"),
        ("", "default"),
        (None, "default"),
    ],
)
def test_for_host(builtin: BrandRegistry, host: str | None, expected: str) -> None:
    assert builtin.for_host(host).id == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("Example.COM:443", "example.com"), ("[::1]:8443", "::1"), ("::1", "::1"), (" a.b. ", "a.b")],
)
def test_normalise_host(raw: str, expected: str) -> None:
    assert normalise_host(raw) == expected


def test_chain_get_and_find(builtin: BrandRegistry) -> None:
    assert [b.id for b in builtin.chain("acme")] == ["acme", "default"]
    assert [b.id for b in builtin.chain("default")] == ["default"]
    with pytest.raises(KeyError, match="unknown brand 'nope'"):
        builtin.get("nope")
    assert builtin.find("nope").id == "default"
    assert builtin.find(None).id == "default"
    assert builtin.find("acme").id == "acme"


def test_css_vars_and_stylesheet(tmp_path: Path) -> None:
    write(tmp_path, "default", DEFAULT_TOML)
    write(tmp_path, "kid", 'name = "Kid"\n[colours]\nprimary = "#ABCDEF"\n')
    reg = BrandRegistry.load([tmp_path])
    kid = reg.get("kid")
    assert kid.parent == "default"  # implied
    assert kid.css_vars()["--brand-primary"] == "#abcdef"
    assert list(kid.css_vars())[:3] == ["--brand-accent", "--brand-bg", "--brand-border"]
    assert brand_css(kid) == (
        ":root{--brand-accent:#000002;--brand-bg:#000003;--brand-border:#000007;--brand-danger:#000009;"
        "--brand-focus:#000008;--brand-muted:#000006;--brand-on-primary:#ffffff;--brand-primary:#abcdef;"
        "--brand-success:#00000a;--brand-surface:#000004;--brand-text:#000005;--brand-warning:#00000b;"
        '--brand-font:system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif}\n'
    )
    assert kid.product_name == "Kid"
    assert kid.support_email == "support@example.invalid"
    assert kid.logo is None
    assert kid.logo_url is None


def test_three_level_chain_inherits(tmp_path: Path) -> None:
    write(tmp_path, "default", DEFAULT_TOML.replace('hosts = ["localhost"]', 'logo = "l.svg"'))
    (tmp_path / "default" / "static").mkdir()
    (tmp_path / "default" / "static" / "l.svg").write_text("<svg/>")
    write(tmp_path, "mid", 'name = "Mid"\nproduct_name = "Mid Portal"\nsupport_email = "a@mid.example"\n')
    write(tmp_path, "leaf", 'name = "Leaf"\nparent = "mid"\nhosts = ["leaf.example"]\n')
    reg = BrandRegistry.load([tmp_path])
    leaf = reg.get("leaf")
    assert [b.id for b in reg.chain("leaf")] == ["leaf", "mid", "default"]
    assert (leaf.product_name, leaf.support_email) == ("Mid Portal", "a@mid.example")
    assert leaf.logo_url == "/brand/default/static/l.svg"
    assert reg.for_host("leaf.example:1").id == "leaf"
    assert reg.static_file("leaf", "l.svg") == (tmp_path / "default" / "static" / "l.svg").resolve()


def test_static_file_refuses_traversal(builtin: BrandRegistry) -> None:
    assert builtin.static_file("acme", "logo.svg") == (BUILTIN_BRANDS_DIR / "acme/static/logo.svg").resolve()
    for bad in ["../brand.toml", "../../default/brand.toml", "/etc/passwd", "a//b", "./logo.svg", "x\\y", ""]:
        assert builtin.static_file("acme", bad) is None
    assert builtin.static_file("nope", "logo.svg") is None
    assert builtin.static_file("acme", "missing.svg") is None


@pytest.mark.parametrize(
    ("brand_id", "text", "message"),
    [
        (
            "kid",
            'name = "K"\n[colours]\nprimary = "red"\n',
            "{path}: colour 'primary' must be #rrggbb, got 'red'",
        ),
        (
            "kid",
            'name = "K"\n[colours]\nprimary = "#12345"\n',
            "{path}: colour 'primary' must be #rrggbb, got '#12345'",
        ),
        ("kid", 'name = "K"\n[colours]\nPrimary = "#123456"\n', "{path}: invalid colour name 'Primary'"),
        ("kid", 'name = "K"\nhosts = ["bad_host.example"]\n', "{path}: invalid host name 'bad_host.example'"),
        ("kid", 'name = "K"\nhosts = ["-x.example"]\n', "{path}: invalid host name '-x.example'"),
        ("kid", 'name = "K"\nhosts = "kid.example"\n', "{path}: 'hosts' must be a list of host names"),
        ("kid", 'name = "K"\nparent = "ghost"\n', "{path}: unknown parent brand 'ghost'"),
        ("kid", 'name = "K"\nparent = "kid"\n', "{path}: brand 'kid' cannot be its own parent"),
        ("kid", "hosts = []\n", "{path}: 'name' is required"),
        ("kid", 'name = "K"\ncolour = {}\n', "{path}: unknown key(s) colour"),
        ("kid", 'id = "other"\nname = "K"\n', "{path}: id 'other' does not match its directory name 'kid'"),
        ("Kid", 'name = "K"\n', "{path}: brand id 'Kid' must match [a-z][a-z0-9-]*"),
        (
            "kid",
            'name = "K"\nhosts = ["localhost"]\n',
            "{path}: host 'localhost' is already used by {default}",
        ),
        (
            "kid",
            'name = "K"\nlogo = "../x.svg"\n',
            "{path}: logo must be a file name inside the brand's static/ directory",
        ),
        ("kid", 'name = "K"\nlogo = "x.svg"\n', "{path}: logo file static/x.svg does not exist"),
        ("kid", 'name = "K"\nsupport_email = "nope"\n', "{path}: invalid support_email 'nope'"),
        ("kid", 'name = "K"\n[colours\n', "{path}: cannot read brand file: "),
    ],
)
def test_validation_errors(tmp_path: Path, brand_id: str, text: str, message: str) -> None:
    default = write(tmp_path, "default", DEFAULT_TOML)
    path = write(tmp_path, brand_id, text)
    expected = message.format(path=path, default=default)
    with pytest.raises(BrandError) as info:
        BrandRegistry.load([tmp_path])
    if expected.endswith(": "):
        assert str(info.value).startswith(expected)
    else:
        assert str(info.value) == expected


def test_root_brand_needs_all_colours(tmp_path: Path) -> None:
    path = write(tmp_path, "default", 'name = "D"\n[colours]\nprimary = "#000000"\n')
    with pytest.raises(BrandError) as info:
        BrandRegistry.load([tmp_path])
    assert str(info.value) == (
        f"{path}: root brand is missing colour(s) on-primary, accent, bg, surface, text, muted, border, "
        "focus, danger, success, warning"
    )


def test_parent_cycle(tmp_path: Path) -> None:
    write(tmp_path, "default", DEFAULT_TOML)
    a = write(tmp_path, "a", 'name = "A"\nparent = "b"\n')
    write(tmp_path, "b", 'name = "B"\nparent = "a"\n')
    with pytest.raises(BrandError) as info:
        BrandRegistry.load([tmp_path])
    assert str(info.value) == f"{a}: parent cycle a -> b -> a"


def test_missing_default_and_duplicates(tmp_path: Path) -> None:
    write(tmp_path / "one", "kid", 'name = "K"\n')
    with pytest.raises(BrandError) as info:
        BrandRegistry.load([tmp_path / "one"])
    assert str(info.value) == f"no 'default' brand in {tmp_path / 'one'}"

    write(tmp_path / "one", "default", DEFAULT_TOML)
    dup = write(tmp_path / "two", "kid", 'name = "K2"\n')
    with pytest.raises(BrandError) as info:
        BrandRegistry.load([tmp_path / "one", tmp_path / "two"])
    assert (
        str(info.value)
        == f"{dup}: brand 'kid' is already defined in {tmp_path / 'one' / 'kid' / 'brand.toml'}"
    )

    with pytest.raises(BrandError) as info:
        BrandRegistry.load([tmp_path / "missing"])
    assert str(info.value) == f"{tmp_path / 'missing'}: brands directory does not exist"


def test_extra_dir_adds_brand(tmp_path: Path) -> None:
    write(
        tmp_path, "reseller", 'name = "Reseller Co"\nparent = "acme"\nhosts = ["portal.reseller.example"]\n'
    )
    reg = BrandRegistry.load([BUILTIN_BRANDS_DIR, tmp_path])
    assert [b.id for b in reg.chain("reseller")] == ["reseller", "acme", "default"]
    assert reg.get("reseller").colours["primary"] == "#6b1d4f"
    assert reg.for_host("portal.reseller.example").name == "Reseller Co"
