//! `crm report`: one self-contained HTML page. Its text is escaped, it names no
//! external resource and runs no script, each chart has the bars or cells the figures
//! call for, and — in a real headless Chromium — every chart is drawn and nothing
//! overflows the page at 390 px (a phone) or 1280 px (a laptop).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::common;

use common::{stdout_of, TempBook};
use serde_json::Value;

/// The demo book of examples/, copied into a temp folder (a report writes the fit's
/// cache into `.crm/`, which must not land in the repository).
fn demo_book() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/demo-book");
    copy_dir(&source, dir.path());
    dir
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name();
        if name == ".crm" {
            continue;
        }
        let path = entry.path();
        if path.is_dir() {
            copy_dir(&path, &to.join(name));
        } else {
            std::fs::copy(&path, to.join(name)).unwrap();
        }
    }
}

fn crm_in(dir: &Path, args: &[&str]) -> assert_cmd::Command {
    let mut cmd = common::crm_command();
    cmd.current_dir(dir).args(args);
    cmd
}

/// `<svg id="ID" ...>...</svg>` of the page.
fn svg<'a>(html: &'a str, id: &str) -> &'a str {
    let start = html
        .find(&format!("<svg id=\"{id}\""))
        .unwrap_or_else(|| panic!("no chart {id}"));
    let end = start + html[start..].find("</svg>").expect("a closed svg");
    &html[start..end]
}

fn count(haystack: &str, needle: &str) -> usize {
    haystack.matches(needle).count()
}

/// What the figures say each chart must hold, from `crm stats` on the same book.
struct Expected {
    periods: usize,
    cohort_cells: usize,
    at_risk: usize,
    /// Customers per tier as `crm list` gives them, highest tier first, then those
    /// with none (the demo book has silver and gold).
    tiers: Vec<(String, usize)>,
}

fn expected(dir: &Path) -> Expected {
    let stats: Value =
        serde_json::from_str(&stdout_of(crm_in(dir, &["stats", "--format", "json"]))).unwrap();
    let cohorts: Value = serde_json::from_str(&stdout_of(crm_in(
        dir,
        &["stats", "cohorts", "--format", "json"],
    )))
    .unwrap();
    let predicted: Value =
        serde_json::from_str(&stdout_of(crm_in(dir, &["predict", "--format", "json"]))).unwrap();
    let listed: Value =
        serde_json::from_str(&stdout_of(crm_in(dir, &["list", "--format", "json"]))).unwrap();
    let holders = |tier: Option<&str>| {
        listed
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["tier"].as_str() == tier)
            .count()
    };
    Expected {
        periods: stats["periods"].as_array().unwrap().len(),
        cohort_cells: cohorts
            .as_array()
            .unwrap()
            .iter()
            .map(|c| 1 + c["periods"].as_array().unwrap().len())
            .sum(),
        at_risk: predicted.as_array().unwrap().len().min(10),
        tiers: vec![
            ("gold".to_string(), holders(Some("gold"))),
            ("silver".to_string(), holders(Some("silver"))),
            ("no tier".to_string(), holders(None)),
        ],
    }
}

#[test]
fn the_demo_report_is_one_self_contained_page_with_every_chart() {
    let dir = demo_book();
    let html = stdout_of(crm_in(dir.path(), &["report"]));
    assert!(html.starts_with("<!DOCTYPE html>"));
    let lower = html.to_lowercase();
    for banned in [
        "<script", "http://", "https://", "src=", "href=", "url(", "@import", "<link",
    ] {
        assert!(!lower.contains(banned), "the page contains {banned}");
    }
    assert!(html.contains("prefers-color-scheme: dark"));
    assert!(html.contains("name=\"viewport\""));
    let e = expected(dir.path());
    assert!(e.periods >= 4 && e.cohort_cells >= 4 && e.at_risk >= 4);
    assert_eq!(
        count(svg(&html, "chart-revenue"), "<rect class=\"bar\""),
        e.periods
    );
    assert_eq!(
        count(svg(&html, "chart-orders"), "<rect class=\"bar\""),
        e.periods
    );
    let retention = svg(&html, "chart-retention");
    assert_eq!(count(retention, "<rect class=\"bar\""), e.periods);
    assert_eq!(count(retention, "<rect class=\"bar2\""), e.periods);
    assert_eq!(
        count(svg(&html, "chart-csat"), "<rect class=\"bar\""),
        e.periods
    );
    assert_eq!(
        count(svg(&html, "chart-cohorts"), "<rect class=\"cell\""),
        e.cohort_cells
    );
    assert_eq!(
        count(svg(&html, "chart-risk"), "<rect class=\"bar2\""),
        e.at_risk
    );
    // One bar per tier, highest first, then "no tier", each as long as `crm list`
    // counts.
    let tiers = svg(&html, "chart-tiers");
    assert_eq!(count(tiers, "<rect class=\"bar2\""), e.tiers.len());
    let mut at = 0;
    for (name, holders) in &e.tiers {
        let title = format!("<title>{name}: {holders}.00</title>");
        let found = tiers[at..]
            .find(&title)
            .unwrap_or_else(|| panic!("no {title} after the previous tier in {tiers}"));
        at += found + title.len();
    }
    assert!(e.tiers.iter().any(|(name, n)| name != "no tier" && *n > 0));
    // The demo book's names and the next two weeks (2025-06-15 to 06-29).
    assert!(html.contains("Lena Fischer"));
    assert!(html.contains("The next two weeks"));
    assert!(html.contains("2025-06-20"));
}

#[test]
fn text_from_the_book_stays_text() {
    let book = TempBook::new();
    book.customer(
        "evil",
        "name: \"<script>alert('x')</script> & <b>bold</b>\"\nbirthday: 1990-06-20\nfollow_up: {every: 7d}\ninteractions:\n\
         - {date: 2025-06-01, kind: call, summary: \"</td></tr></table><img src=x onerror=alert(1)>\", follow_up: 2025-06-18}\n\
         - {date: 2025-06-02, kind: purchase, amount: 10.00}\n",
    );
    book.write(
        "crm.toml",
        "currency = \"<i>EUR</i>\"\n\n[report]\ntitle = \"Caf\u{e9} <Nord>\"\n",
    );
    let html = stdout_of(book.crm(&["report"]));
    let lower = html.to_lowercase();
    assert!(!lower.contains("<script"), "{html}");
    assert!(!lower.contains("<img"), "{html}");
    assert!(!lower.contains("<b>bold"), "{html}");
    assert!(!lower.contains("<i>eur"), "{html}");
    assert!(
        html.contains(
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;"
        ),
        "{html}"
    );
    assert!(
        html.contains("&lt;img src=x onerror=alert(1)&gt;"),
        "{html}"
    );
    // A book too small to fit says why instead of a chart.
    assert!(
        html.contains("No predictions: the book is too small to fit"),
        "{html}"
    );
    assert!(!html.contains("id=\"chart-risk\""));
    // `[report] title` names the page, escaped.
    assert!(
        html.contains("<title>Café &lt;Nord&gt;: customer report</title>"),
        "{html}"
    );
    // No `[loyalty]` programme, no tiers section.
    assert!(!html.contains("Loyalty tiers"), "{html}");
}

#[test]
fn report_flags_are_checked() {
    let dir = demo_book();
    crm_in(dir.path(), &["report", "--period", "fortnight"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("--period"));
    crm_in(
        dir.path(),
        &["report", "--from", "2025-06-01", "--to", "2025-01-01"],
    )
    .assert()
    .code(2)
    .stderr(predicates::str::contains("swap the two dates"));
    let monthly = stdout_of(crm_in(
        dir.path(),
        &[
            "report",
            "--period",
            "month",
            "--from",
            "2025-01-01",
            "--to",
            "2025-06-30",
        ],
    ));
    assert_eq!(
        count(svg(&monthly, "chart-orders"), "<rect class=\"bar\""),
        6
    );
}

// --- the real browser -------------------------------------------------------------

/// Runs Debian's `chromium` headless with `args` after the flags every run needs (no
/// sandbox, as root must; no GPU, network chatter, first-run or sync; a fresh
/// profile), killing it after 90 s. Its output goes to files in the profile folder,
/// not pipes: a `--dump-dom` larger than a pipe's buffer would block it while we
/// wait. Panics — the test fails, it does not skip —
/// when chromium is missing: `.ci/run` installs it.
fn chromium(profile: &Path, args: &[String]) -> (String, String) {
    let out_path = profile.join("stdout.txt");
    let err_path = profile.join("stderr.txt");
    let mut command = Command::new("chromium");
    command
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-quic",
            "--hide-scrollbars",
            "--force-device-scale-factor=1",
        ])
        .arg(format!(
            "--user-data-dir={}",
            profile.join("data").display()
        ))
        .args(args)
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&out_path).expect("a stdout file"))
        .stderr(std::fs::File::create(&err_path).expect("a stderr file"));
    let mut child = command.spawn().unwrap_or_else(|e| {
        panic!("cannot run chromium ({e}): install it (`apt-get install chromium`; .ci/run does) — this test fails rather than skips")
    });
    let started = Instant::now();
    loop {
        if child.try_wait().expect("wait for chromium").is_some() {
            let read = |p: &Path| {
                String::from_utf8_lossy(&std::fs::read(p).unwrap_or_default()).into_owned()
            };
            return (read(&out_path), read(&err_path));
        }
        if started.elapsed() > Duration::from_secs(90) {
            let _ = child.kill();
            panic!("chromium ran for more than 90 s");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Measures the page as laid out. Only the probe copy of the report carries it (the
/// report itself has no script). Headless Chromium's `--dump-dom` gives a window at
/// least 500 px wide, so the probe copy is shown in an iframe exactly as wide as the
/// screen to test, and writes what it measures into the outer page, which
/// `--dump-dom` prints.
const PROBE: &str = r#"<script>
(function () {
  var doc = document.documentElement;
  var charts = {};
  document.querySelectorAll('svg[id]').forEach(function (s) {
    var box = s.getBoundingClientRect();
    var drawn = 0;
    s.querySelectorAll('rect.bar, rect.bar2, rect.cell').forEach(function (r) {
      var b = r.getBoundingClientRect();
      if (b.width > 0 && b.height > 0) drawn++;
    });
    charts[s.id] = { width: box.width, height: box.height, right: box.right,
      bars: s.querySelectorAll('rect.bar, rect.bar2').length,
      cells: s.querySelectorAll('rect.cell').length, drawn: drawn };
  });
  var wide = [];
  document.querySelectorAll('body *').forEach(function (el) {
    if (el.closest('.scroll') && !el.classList.contains('scroll')) return;
    if (el.closest('svg') && el.tagName.toLowerCase() !== 'svg') return;
    var b = el.getBoundingClientRect();
    if (b.right > window.innerWidth + 0.5) wide.push(el.tagName + '.' + el.className + ' ' + b.right);
  });
  var scrolls = [];
  document.querySelectorAll('.scroll').forEach(function (el) {
    if (el.scrollWidth > el.clientWidth + 1) scrolls.push(el.scrollWidth + '>' + el.clientWidth);
  });
  var out = parent.document.createElement('pre');
  out.id = 'probe';
  out.textContent = JSON.stringify({ innerWidth: window.innerWidth, scrollWidth: doc.scrollWidth,
    charts: charts, wide: wide, scrolls: scrolls });
  parent.document.body.appendChild(out);
})();
</script>"#;

fn probe(dump: &str) -> Value {
    let start =
        dump.find("<pre id=\"probe\">").expect("the probe ran") + "<pre id=\"probe\">".len();
    let end = start + dump[start..].find("</pre>").expect("a closed probe");
    let text = dump[start..end]
        .replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&");
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("probe output {text}: {e}"))
}

/// Width and height from a PNG's IHDR chunk.
fn png_size(path: &Path) -> (u32, u32) {
    let bytes = std::fs::read(path).expect("a screenshot");
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "not a PNG");
    let be = |at: usize| u32::from_be_bytes(bytes[at..at + 4].try_into().unwrap());
    (be(16), be(20))
}

#[test]
fn the_demo_report_draws_every_chart_in_chromium_without_overflowing_at_390_and_1280_px() {
    let dir = demo_book();
    let html = stdout_of(crm_in(dir.path(), &["report"]));
    let e = expected(dir.path());
    let work = tempfile::tempdir().unwrap();
    let page = work.path().join("report.html");
    std::fs::write(&page, &html).unwrap();
    let probed_page = html.replace("</body>", &format!("{PROBE}\n</body>"));
    let srcdoc = probed_page.replace('&', "&amp;").replace('"', "&quot;");
    let url = |p: &PathBuf| format!("file://{}", p.display());
    // Kept for a person to look at: target/report-screenshots/.
    let shots = Path::new(env!("CARGO_TARGET_TMPDIR")).join("report-screenshots");
    std::fs::create_dir_all(&shots).unwrap();

    for width in [390u32, 1280] {
        let probed = work.path().join(format!("probe-{width}.html"));
        std::fs::write(
            &probed,
            format!(
                "<!DOCTYPE html><html><body style=\"margin:0\"><iframe style=\"width:{width}px;height:3000px;border:0;display:block\" srcdoc=\"{srcdoc}\"></iframe></body></html>"
            ),
        )
        .unwrap();
        // On a loaded machine Chromium can print the DOM before the iframe's script has
        // run (its virtual time budget is not a promise); a page whose probe never runs
        // fails all three tries.
        let mut dump = (String::new(), String::new());
        for _ in 0..3 {
            let profile = tempfile::tempdir().unwrap();
            dump = chromium(
                profile.path(),
                &[
                    "--window-size=1400,900".to_string(),
                    "--virtual-time-budget=5000".to_string(),
                    "--dump-dom".to_string(),
                    url(&probed),
                ],
            );
            if dump.0.contains("<pre id=\"probe\">") {
                break;
            }
        }
        let m = probe(&dump.0);
        assert_eq!(
            m["innerWidth"], width,
            "the viewport is not {width} px wide: {m}"
        );
        assert!(
            m["scrollWidth"].as_u64().unwrap() <= u64::from(width),
            "the page scrolls sideways at {width} px: {m}"
        );
        assert_eq!(
            m["wide"],
            serde_json::json!([]),
            "elements overflow at {width} px: {m}"
        );
        let charts = &m["charts"];
        for (id, bars, cells) in [
            ("chart-revenue", e.periods, 0),
            ("chart-orders", e.periods, 0),
            ("chart-retention", 2 * e.periods, 0),
            ("chart-csat", e.periods, 0),
            ("chart-cohorts", 0, e.cohort_cells),
            ("chart-risk", e.at_risk, 0),
            ("chart-segments", 10, 0),
            ("chart-tiers", e.tiers.len(), 0),
        ] {
            let c = &charts[id];
            assert!(
                c["width"].as_f64().unwrap() > 200.0 && c["height"].as_f64().unwrap() > 50.0,
                "{id} is not drawn at {width} px: {c}"
            );
            assert!(
                c["right"].as_f64().unwrap() <= f64::from(width),
                "{id} overflows at {width} px: {c}"
            );
            assert_eq!(
                (c["bars"].as_u64(), c["cells"].as_u64()),
                (Some(bars as u64), Some(cells as u64)),
                "{id} at {width} px: {c}"
            );
            // Every cohort cell has a size; bars of a zero value have none.
            assert!(
                c["drawn"].as_u64().unwrap() > 0,
                "{id} draws nothing at {width} px: {c}"
            );
            if cells > 0 {
                assert_eq!(
                    c["drawn"].as_u64(),
                    Some(cells as u64),
                    "{id} at {width} px: {c}"
                );
            }
        }

        let profile = tempfile::tempdir().unwrap();
        let shot = shots.join(format!("demo-report-{width}.png"));
        let _ = std::fs::remove_file(&shot);
        let run = chromium(
            profile.path(),
            &[
                format!("--window-size={width},2400"),
                format!("--screenshot={}", shot.display()),
                url(&page),
            ],
        );
        assert!(shot.exists(), "no screenshot: {}", run.1);
        assert_eq!(png_size(&shot), (width, 2400));
        assert!(
            std::fs::metadata(&shot).unwrap().len() > 20_000,
            "the screenshot is nearly blank"
        );
    }
}
