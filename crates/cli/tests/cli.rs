//! The CLI's contract: golden JSON per fixture, the required keys, exit codes, help.
//!
//! Regenerate the golden files after an intended change with
//! `UPDATE_GOLDEN=1 cargo test -p sendas-lens --test cli`, then review the diff.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn fixture(name: &str) -> PathBuf {
    root().join("tests/fixtures").join(name)
}

/// A fixed export time, so golden output does not depend on when the repository was cloned.
const EXPORTED: &str = "2026-11-26T00:00:00Z";

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sendas-lens")).args(args).output().expect("run sendas-lens")
}

/// `sendas-lens generate --format FORMAT --rows ROWS --seed SEED PATH`, which must succeed.
fn generate(format: &str, rows: u32, seed: u32, path: &Path) {
    let out = run(&[
        "generate",
        "--format",
        format,
        "--rows",
        &rows.to_string(),
        "--seed",
        &seed.to_string(),
        &path.display().to_string(),
    ]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

fn summary_json(files: &[&str]) -> Value {
    let mut args: Vec<String> = vec!["summary".into(), "--json".into()];
    for f in files {
        args.push(fixture(f).display().to_string());
        args.push("--exported-at".into());
        args.push(format!("{}={EXPORTED}", Path::new(f).file_name().unwrap().to_string_lossy()));
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = run(&args);
    assert!(out.status.success(), "{files:?}: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("summary --json prints one JSON object")
}

fn check_golden(name: &str, actual: &str) {
    let path = root().join("tests/golden").join(name);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (run with UPDATE_GOLDEN=1 to create it)", path.display()));
    if name.ends_with(".json") {
        let a: Value = serde_json::from_str(actual).unwrap();
        let e: Value = serde_json::from_str(&expected).unwrap();
        assert!(a == e, "{name} differs from its golden file; rerun with UPDATE_GOLDEN=1 and review the diff");
    } else {
        assert!(
            actual == expected,
            "{name} differs from its golden file; rerun with UPDATE_GOLDEN=1 and review the diff"
        );
    }
}

/// Every fixture (relative to `tests/fixtures`), good and damaged.
fn all_fixtures() -> Vec<String> {
    let mut names = Vec::new();
    for dir in ["", "bad/"] {
        for entry in std::fs::read_dir(root().join("tests/fixtures").join(dir)).unwrap() {
            let name = entry.unwrap().file_name().to_string_lossy().into_owned();
            if !name.ends_with(".py") && std::path::Path::new(&name).extension().is_some() {
                names.push(format!("{dir}{name}"));
            }
        }
    }
    names.sort();
    names
}

/// Fixtures the CLI reads (the others are unusable and exit 2).
fn readable_fixtures() -> Vec<String> {
    all_fixtures()
        .into_iter()
        .filter(|f| run(&["summary", &fixture(f).display().to_string()]).status.success())
        .collect()
}

#[test]
fn summary_json_matches_the_golden_file_for_every_fixture() {
    for name in all_fixtures() {
        let golden = name.replace('/', "-");
        let path = fixture(&name).display().to_string();
        let out = run(&[
            "summary",
            "--json",
            &path,
            "--exported-at",
            &format!("{}={EXPORTED}", Path::new(&name).file_name().unwrap().to_string_lossy()),
        ]);
        if out.status.success() {
            let json: Value = serde_json::from_slice(&out.stdout).unwrap();
            check_golden(&format!("{golden}.summary.json"), &serde_json::to_string_pretty(&json).unwrap());
        } else {
            // Unusable input: exit 2 and one line naming the problem (the path differs per machine).
            assert_eq!(out.status.code(), Some(2), "{name}");
            let err = String::from_utf8(out.stderr).unwrap().replace(&path, "FILE");
            check_golden(&format!("{golden}.error.txt"), &err);
        }
    }
}

#[test]
fn summary_json_has_the_contracted_keys_and_counts_add_up() {
    for name in readable_fixtures() {
        let name = name.as_str();
        let s = summary_json(&[name]);
        for key in
            ["rows_read", "events", "rejected", "duplicates", "formats", "send_events", "by_class", "delays", "errors"]
        {
            assert!(s.get(key).is_some(), "{name}: missing {key}");
        }
        let n = |k: &str| s[k].as_u64().unwrap();
        assert_eq!(n("rows_read"), n("events") + n("rejected") + n("duplicates"), "{name}");
        let classes = s["by_class"].as_object().unwrap();
        let names = ["connector", "system", "application", "admin", "owner", "delegate", "unknown"];
        assert_eq!(classes.len(), 7, "{name}");
        assert!(names.iter().all(|c| classes.contains_key(*c)), "{name}");
        assert_eq!(classes.values().map(|v| v.as_u64().unwrap()).sum::<u64>(), n("send_events"), "{name}");
        for (workload, d) in s["delays"].as_object().unwrap() {
            for key in ["measured", "bounded", "p50_seconds", "p90_seconds", "p99_seconds", "max_seconds"] {
                assert!(d.get(key).is_some(), "{name}: delays.{workload}.{key}");
            }
        }
        for e in s["errors"].as_array().unwrap() {
            assert!(e["file"].is_string() && e["line"].is_u64() && e["message"].is_string(), "{name}: {e}");
        }
    }
}

#[test]
fn several_files_merge_with_duplicates_and_bounded_delays() {
    let out = run(&[
        "summary",
        "--json",
        &fixture("daily-export-2026-11-20.csv").display().to_string(),
        &fixture("daily-export-2026-11-21.csv").display().to_string(),
        "--exported-at",
        "daily-export-2026-11-20.csv=2026-11-20T12:00:00Z",
        "--exported-at",
        "daily-export-2026-11-21.csv=2026-11-21T12:00:00Z",
    ]);
    assert!(out.status.success());
    let s: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!((s["rows_read"].as_u64(), s["events"].as_u64(), s["duplicates"].as_u64()), (Some(8), Some(5), Some(3)));
    assert_eq!(s["delays"]["Exchange"]["bounded"], 1);
    assert_eq!(s["delays"]["Exchange"]["p50_seconds"], Value::Null);
    assert_eq!(s["sources"][0]["exported_at_origin"], "given");
    check_golden("daily-exports.summary.json", &serde_json::to_string_pretty(&s).unwrap());
}

#[test]
fn without_exported_at_the_file_time_is_used_and_said() {
    let out = run(&["summary", "--json", &fixture("purview-us-dates.csv").display().to_string()]);
    let s: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(s["sources"][0]["exported_at_origin"], "file-modified");
    assert!(s["sources"][0]["exported_at"].is_string());
}

#[test]
fn events_jsonl_prints_one_object_per_send() {
    let path = fixture("purview-article-scenario.csv").display().to_string();
    let out = run(&["events", &path, "--jsonl", "--exported-at", &format!("purview-article-scenario.csv={EXPORTED}")]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<Value> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 19);
    for l in &lines {
        for key in [
            "id",
            "time",
            "operation",
            "class",
            "actor",
            "mailbox",
            "client",
            "app_id",
            "evidence",
            "delay_seconds",
            "source",
        ] {
            assert!(l.get(key).is_some(), "missing {key} in {l}");
        }
        assert!(l["time"].as_str().unwrap().ends_with('Z'));
        assert!(l["source"].as_str().unwrap().starts_with("purview-article-scenario.csv:"));
        assert!(!l["evidence"].as_array().unwrap().is_empty());
    }
    let connector = &lines[0];
    assert_eq!(connector["class"], "connector");
    assert_eq!(connector["mailbox"], "mvptweets@contoso.com");
    check_golden("purview-article-scenario.events.jsonl", &text);
}

#[test]
fn a_pipe_is_read_as_a_file_is() {
    // A regular file is checked against the size it had when opened; anything else (here a
    // pipe, as `<(...)` or `/dev/stdin` give) is read to its end. Both must give the same answer,
    // empty files included. And one export of several read buffers (1 MiB each), so rows
    // straddle buffer edges.
    let generated = std::env::temp_dir().join(format!("sendas-lens-windows-{}.csv", std::process::id()));
    generate("purview-csv", 3000, 7, &generated);
    assert!(std::fs::metadata(&generated).unwrap().len() > 3 << 20);
    let paths = ["purview-article-scenario.csv", "powershell-subset-utf16le-bom.csv", "bad/empty.csv"].map(fixture);
    for path in paths.iter().chain([&generated]) {
        let name = path.display();
        let args = ["summary", "--json", "--exported-at"];
        let from_file =
            run(&[&args[..], &[&format!("{}={EXPORTED}", path.display()), &path.display().to_string()]].concat());
        let mut piped = Command::new(env!("CARGO_BIN_EXE_sendas-lens"))
            .args(args)
            .arg(format!("/dev/stdin={EXPORTED}"))
            .arg("/dev/stdin")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("run sendas-lens");
        std::io::Write::write_all(&mut piped.stdin.take().unwrap(), &std::fs::read(path).unwrap()).unwrap();
        let piped = piped.wait_with_output().unwrap();
        assert_eq!(piped.status.code(), from_file.status.code(), "{name}");
        let summary = |out: &Output| {
            let mut v: Value = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
            // Only the input's name differs.
            if let Some(sources) = v.get_mut("sources").and_then(Value::as_array_mut) {
                for s in sources {
                    s["name"] = Value::Null;
                }
            }
            v
        };
        assert_eq!(summary(&piped), summary(&from_file), "{name}");
        if path == &generated {
            assert_eq!(summary(&from_file)["rows_read"], 3000, "{name}");
        }
        if from_file.status.success() {
            assert_ne!(summary(&from_file), Value::Null, "{name}");
        } else {
            let said = |out: &Output| {
                String::from_utf8_lossy(&out.stderr).replace("/dev/stdin", "").replace(&path.display().to_string(), "")
            };
            assert_eq!(said(&piped), said(&from_file), "{name}");
        }
    }
    let _ = std::fs::remove_file(&generated);
}

#[test]
fn rejected_rows_still_exit_zero_and_unusable_input_exits_two() {
    let ok = run(&["summary", &fixture("malformed-rows.csv").display().to_string()]);
    assert_eq!(ok.status.code(), Some(0));
    let text = String::from_utf8_lossy(&ok.stdout);
    assert!(text.contains("malformed-rows.csv:9: the file ends inside a quoted field"), "{text}");

    let not_audit = run(&["summary", &root().join("Cargo.toml").display().to_string()]);
    assert_eq!(not_audit.status.code(), Some(2));
    let err = String::from_utf8_lossy(&not_audit.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("not a Microsoft 365 audit export"), "{err}");

    let missing = run(&["summary", "no-such-file.csv"]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("cannot open"));
}

#[test]
fn help_documents_every_flag() {
    let top = String::from_utf8(run(&["--help"]).stdout).unwrap();
    for word in ["summary", "events", "rules", "generate"] {
        assert!(top.contains(word), "{top}");
    }
    let summary = String::from_utf8(run(&["summary", "--help"]).stdout).unwrap();
    assert!(
        summary.contains("--json") && summary.contains("--exported-at") && summary.contains("--threads"),
        "{summary}"
    );
    let events = String::from_utf8(run(&["events", "--help"]).stdout).unwrap();
    assert!(events.contains("--jsonl") && events.contains("--exported-at"), "{events}");
    let generate = String::from_utf8(run(&["generate", "--help"]).stdout).unwrap();
    for flag in ["--format", "--rows", "--seed"] {
        assert!(generate.contains(flag), "{generate}");
    }
}

/// A large export read on one, two or three threads (and beside a second file, which is read
/// after it): the same summary, events and alerts, byte for byte.
#[test]
fn the_thread_count_never_changes_the_output() {
    let dir = std::env::temp_dir().join(format!("sendas-threads-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let big = dir.join("big.csv");
    // Over 12 MiB: three parts of the core's 4 MiB minimum.
    generate("purview-csv", 9_500, 3, &big);
    assert!(std::fs::metadata(&big).unwrap().len() > 12 << 20);
    let (big, daily) = (big.display().to_string(), fixture("daily-export-2026-11-20.csv").display().to_string());
    let exported = [
        "--exported-at",
        "big.csv=2026-11-21T00:00:00Z",
        "--exported-at",
        "daily-export-2026-11-20.csv=2026-11-21T00:00:00Z",
    ];
    let outputs = |threads: &str| {
        let mut all = Vec::new();
        for command in [&["summary", "--json"][..], &["events", "--jsonl"], &["alerts", "--json"]] {
            let mut args: Vec<&str> = command.to_vec();
            args.extend(["--threads", threads, &big, &daily]);
            args.extend(exported);
            let out = run(&args);
            assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
            all.push(out.stdout);
        }
        all
    };
    let one = outputs("1");
    let summary: Value = serde_json::from_slice(&one[0]).unwrap();
    assert_eq!(summary["rows_read"].as_u64().unwrap(), 9_500 + summary["sources"][1]["rows_read"].as_u64().unwrap());
    for threads in ["2", "3"] {
        assert!(outputs(threads) == one, "{threads} threads give other output than one");
    }
    assert_eq!(run(&["summary", "--threads", "0", &big]).status.code(), Some(2), "0 threads is refused");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn generated_exports_are_deterministic_and_read_back() {
    let dir = std::env::temp_dir().join(format!("sendas-gen-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for format in [
        "purview-csv",
        "classic-csv",
        "powershell-csv",
        "management-api-json",
        "ndjson",
        "graph-json",
        "sentinel-csv",
        "mailbox-audit-csv",
        "cloud-app-events-csv",
    ] {
        let a = dir.join(format!("a-{format}"));
        let b = dir.join(format!("b-{format}"));
        for path in [&a, &b] {
            generate(format, 300, 7, path);
        }
        assert_eq!(std::fs::read(&a).unwrap(), std::fs::read(&b).unwrap(), "{format} is deterministic");
        let out = run(&["summary", "--json", &a.display().to_string()]);
        let s: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(s["rows_read"], 300, "{format}");
        assert_eq!(s["formats"][0], format, "{format} is read back as itself");
        assert_eq!(s["events"], 300, "{format}");
        assert!(s["send_events"].as_u64().unwrap() > 0, "{format}");
        assert!(s["by_class"]["connector"].as_u64().unwrap() > 0, "{format}");
        if format == "sentinel-csv" {
            assert!(s["delays"]["Exchange"]["measured"].as_u64().unwrap() > 0);
        }
    }
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn an_unusable_input_beside_good_ones_is_a_warning_not_a_failure() {
    let good = fixture("purview-article-scenario.csv").display().to_string();
    let bad = ["bad/not-an-audit-export.csv", "bad/empty.csv", "bad/workbook-dropped-by-mistake.xlsx"]
        .map(|f| fixture(f).display().to_string());
    let alone = summary_json(&["purview-article-scenario.csv"]);
    for unusable in bad.iter().map(String::as_str).chain(["no-such-file.csv"]) {
        let out = run(&["summary", "--json", unusable, &good]);
        assert_eq!(out.status.code(), Some(0), "{unusable}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(err.lines().count(), 1, "one warning line: {err}");
        assert!(err.starts_with(&format!("sendas-lens: warning: {unusable}: ")), "{err}");
        let s: Value = serde_json::from_slice(&out.stdout).unwrap();
        let listed = &s["unusable_inputs"][0];
        assert_eq!(listed["file"], std::path::Path::new(unusable).file_name().unwrap().to_str().unwrap());
        assert!(err.trim_end().ends_with(listed["reason"].as_str().unwrap()), "{err} / {listed}");
        // The good export's numbers are what it gives alone.
        for key in
            ["rows_read", "events", "rejected", "duplicates", "send_events", "by_class", "connectors", "delay_note"]
        {
            assert_eq!(s[key], alone[key], "{unusable}: {key}");
        }
    }
    // Nothing usable: exit 2, one line naming every input.
    let out = run(&["summary", &bad[0], &bad[1]]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.starts_with("sendas-lens: no input is usable: "), "{err}");
    assert!(err.contains(&bad[0]) && err.contains(&bad[1]) && err.contains("the file is empty"), "{err}");
}

#[test]
fn a_file_cut_shorter_during_a_run_never_kills_the_cli() {
    // Cut while the CLI reads it (when exactly depends on the machine): whatever the moment,
    // the run ends with a report (exit 0) or one line saying the file changed (exit 2), never
    // by a signal as a memory-from_file read did (SIGBUS).
    let path = std::env::temp_dir().join(format!("sendas-lens-cut-{}.csv", std::process::id()));
    for attempt in 0..3 {
        generate("purview-csv", 20000, 3, &path);
        let child = Command::new(env!("CARGO_BIN_EXE_sendas-lens"))
            .args(["summary", "--json", &path.display().to_string()])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(5 * attempt));
        std::fs::OpenOptions::new().write(true).open(&path).unwrap().set_len(1000).unwrap();
        let out = child.wait_with_output().unwrap();
        match out.status.code() {
            Some(0) => assert!(serde_json::from_slice::<Value>(&out.stdout).is_ok()),
            Some(2) => {
                let err = String::from_utf8_lossy(&out.stderr);
                assert_eq!(err.lines().count(), 1, "{err}");
                assert!(err.contains("it changed while it was being read"), "{err}");
            }
            other => panic!("the CLI ended with {other:?} (a signal?): {}", String::from_utf8_lossy(&out.stderr)),
        }
    }
    let _ = std::fs::remove_file(&path);
}

/// Bytes a terminal would act on, or that change how the text around them reads: C0 controls
/// other than the line break, DEL, C1 controls, bidi controls.
fn acts_on_a_terminal(text: &str) -> Option<char> {
    text.chars().find(|&c| {
        (c.is_control() && c != '\n')
            || matches!(c, '\u{200E}' | '\u{200F}' | '\u{061C}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
    })
}

#[test]
fn no_control_or_bidi_character_from_the_input_reaches_the_terminal() {
    let dir = std::env::temp_dir().join(format!("sendas-lens-escapes-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    // ESC sequences (CSI colour, OSC title and hyperlink), a C1 CSI, BEL, a line break and a
    // right-to-left override, in every field the text summary prints.
    let nasty = "\u{1b}[31mred\u{1b}]0;title\u{7}\u{1b}]8;;http://x\u{1b}\\\u{9b}2J\u{202e}gnp.exe\nnext";
    let esc = |s: &str| serde_json::to_string(s).unwrap();
    let record = |id: &str, op: &str| {
        format!(
            r#"{{"Id":"{id}","CreationTime":"2026-11-20T09:00:00","Operation":{},"Workload":{},"UserId":{},"MailboxOwnerUPN":{},"AppId":{},"ClientInfoString":{}}}"#,
            esc(op),
            esc(&format!("Exchange{nasty}")),
            esc(&format!("u{nasty}@contoso.com")),
            esc(&format!("m{nasty}@contoso.com")),
            esc(&format!("app{nasty}")),
            esc(&format!("Client=ConnectorWorkProvider{nasty}")),
        )
    };
    let export = format!(
        "{}\n{}\n{{\"Id\":\"bad{}\n",
        record("1", "SendAs"),
        record("2", "SendOnBehalf"),
        nasty.replace('\n', "")
    );
    let name = format!("export{}.jsonl", "\u{1b}[2J\u{202e}\nx");
    let path = dir.join(&name);
    std::fs::write(&path, export).unwrap();
    // A CSV whose header names repeat with escapes in them, and a file that is no export.
    let csv = dir.join("header\u{1b}[1m.csv");
    std::fs::write(
        &csv,
        format!("CreationDate,UserIds,Operations,AuditData,X{nasty},X{nasty}\n").replace('\n', " ") + "\n",
    )
    .unwrap();
    let not_export = dir.join("notes\u{9b}1m.txt");
    std::fs::write(&not_export, format!("name{nasty},value\n1,2\n")).unwrap();

    for args in [
        vec![
            "summary".to_owned(),
            path.display().to_string(),
            csv.display().to_string(),
            not_export.display().to_string(),
        ],
        vec!["summary".to_owned(), "--json".to_owned(), path.display().to_string()],
        vec!["events".to_owned(), "--jsonl".to_owned(), path.display().to_string()],
        vec!["summary".to_owned(), not_export.display().to_string()],
    ] {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = run(&args);
        let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        assert_eq!(acts_on_a_terminal(&stdout), None, "{args:?}: stdout {stdout}");
        assert_eq!(acts_on_a_terminal(&stderr), None, "{args:?}: stderr {stderr}");
        // One line per warning or error, whatever the names hold.
        for line in stderr.lines() {
            assert!(line.starts_with("sendas-lens: "), "{args:?}: a message split in two: {stderr}");
        }
    }
    // The text summary shows what was there, marked.
    let text = String::from_utf8(run(&["summary", &path.display().to_string()]).stdout).unwrap();
    assert!(
        text.contains("[U+001B][31mred") && text.contains("[U+202E]gnp.exe") && text.contains("[U+009B]2J"),
        "{text}"
    );
    // JSON keeps the data exactly, escaped.
    let json: Value = serde_json::from_slice(&run(&["summary", "--json", &path.display().to_string()]).stdout).unwrap();
    assert_eq!(json["connectors"][0]["stamped_as"], format!("u{nasty}@contoso.com"));
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn a_reader_that_stops_early_is_not_an_error() {
    // `sendas-lens events … | head -1`: the pipe closes after the first line.
    let path = std::env::temp_dir().join(format!("sendas-lens-pipe-{}.csv", std::process::id()));
    generate("purview-csv", 20000, 2, &path);
    let mut child = Command::new(env!("CARGO_BIN_EXE_sendas-lens"))
        .args(["events", "--jsonl", &path.display().to_string()])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    std::io::BufRead::read_line(&mut std::io::BufReader::new(child.stdout.take().unwrap()), &mut first).unwrap();
    // The reader is gone (its end of the pipe dropped with it).
    let out = child.wait_with_output().unwrap();
    assert!(first.starts_with("{\"id\""), "{first}");
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(String::from_utf8_lossy(&out.stderr), "");
    let _ = std::fs::remove_file(&path);
}

#[test]
fn exported_at_must_name_a_given_file_and_an_rfc3339_time() {
    let path = fixture("daily-export-2026-11-20.csv").display().to_string();
    for (flag, says) in [
        ("other.csv=2026-11-20T12:00:00Z", "\"other.csv\" is not one of the files given"),
        ("daily-export-2026-11-20.csv=1/2/2026", "is not an RFC 3339 date and time"),
        ("daily-export-2026-11-20.csv=2026-11-20", "is not an RFC 3339 date and time"),
        ("daily-export-2026-11-20.csv", "expected FILE=TIME"),
    ] {
        let out = run(&["summary", "--json", &path, "--exported-at", flag]);
        assert_eq!(out.status.code(), Some(2), "{flag}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.contains(says), "{flag}: {err}");
    }
    let ok =
        run(&["summary", "--json", &path, "--exported-at", "daily-export-2026-11-20.csv=2026-11-20T12:00:00+01:00"]);
    let s: Value = serde_json::from_slice(&ok.stdout).unwrap();
    assert_eq!(s["sources"][0]["exported_at"], "2026-11-20T11:00:00Z");
}

#[test]
fn an_empty_export_alone_is_a_report_of_nothing_and_an_empty_file_alone_is_an_error() {
    let dir = std::env::temp_dir().join(format!("sendas-lens-nothing-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let nothing = dir.join("search-found-nothing.json");
    std::fs::write(&nothing, "{\"value\":[]}").unwrap();
    let out = run(&["summary", "--json", &nothing.display().to_string()]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let s: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!((s["rows_read"].as_u64(), s["formats"][0].as_str()), (Some(0), Some("graph-json")));
    assert!(s["warnings"][0].as_str().unwrap().contains("holds no records"), "{s}");
    let zero_bytes = dir.join("zero.csv");
    std::fs::write(&zero_bytes, "").unwrap();
    let out = run(&["summary", &zero_bytes.display().to_string()]);
    assert_eq!(out.status.code(), Some(2));
    std::fs::remove_dir_all(&dir).ok();
}

/// `alerts` over the field report's export, with a fixed export time and these flags.
fn alerts(flags: &[&str]) -> Output {
    let path = fixture("purview-article-scenario.csv").display().to_string();
    let exported = format!("purview-article-scenario.csv={EXPORTED}");
    run(&[&["alerts", path.as_str(), "--exported-at", exported.as_str()][..], flags].concat())
}

fn alerts_json(flags: &[&str]) -> Value {
    let out = alerts(&[flags, &["--json"]].concat());
    assert!(out.status.success(), "{flags:?}: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("alerts --json prints one JSON object")
}

/// `(alerts_fired, alerts_noise_only, alerts_after_exclusion, person_events_lost)`, with the
/// invariants every run keeps.
fn alert_numbers(report: &Value) -> (u64, u64, u64, u64) {
    let n = |k: &str| report[k].as_u64().unwrap_or_else(|| panic!("{k}: {report}"));
    let numbers = (n("alerts_fired"), n("alerts_noise_only"), n("alerts_after_exclusion"), n("person_events_lost"));
    assert_eq!(numbers.3, 0, "the exclusion hid a send that is not noise: {report}");
    assert_eq!(numbers.2, numbers.0 - numbers.1, "{report}");
    let listed = report["alerts"].as_array().unwrap();
    assert_eq!(listed.len() as u64, numbers.0);
    assert_eq!(listed.iter().filter(|a| a["noise_only"] == true).count() as u64, numbers.1);
    numbers
}

#[test]
fn alerts_json_reads_the_default_flags_as_the_default_rule_and_the_field_reports_numbers() {
    // The report's keys are the core's contract (crates/core/tests/alerts.rs); here, the flags.
    let report = alerts_json(&[]);
    assert_eq!(
        report["rule"],
        serde_json::json!({"operations": ["SendAs"], "actor": null, "mailbox": null, "threshold": 1, "window_seconds": 3600})
    );
    // 16 SendAs, each alone in its hour: 10 connector cards and the system account are noise;
    // the delegates, the app, the admin and the unknown sender still alert.
    assert_eq!(alert_numbers(&report), (16, 11, 5, 0));
    assert_eq!(report["events"]["connector"], 10);
    assert_eq!(report["events"]["application"], 1);
    assert_eq!(report["exclusion_rules"], serde_json::json!(["connector-work-provider", "system-identity"]));
    let exclusion = report["exclusion"].as_str().unwrap();
    assert!(exclusion.starts_with(r#"ClientInfoString contains "ConnectorWorkProvider", or "#), "{exclusion}");
    for alert in report["alerts"].as_array().unwrap() {
        for key in ["window_start", "events", "noise_only", "earliest_fire", "fire_basis"] {
            assert!(alert.get(key).is_some(), "missing {key} in {alert}");
        }
        let start = alert["window_start"].as_str().unwrap();
        assert!(start.ends_with(":00:00Z"), "{start}");
        // A Purview export has no arrival times: the earliest fire is an event time, "at least".
        assert_eq!(alert["fire_basis"], "event-time");
        assert!(alert["earliest_fire"].as_str().unwrap() >= start);
        let connector_or_system =
            alert["events"]["connector"].as_u64().unwrap() + alert["events"]["system"].as_u64().unwrap();
        assert_eq!(alert["noise_only"], connector_or_system > 0, "{alert}");
    }
    assert_eq!(report["alerts"][0]["window_start"], "2026-11-18T08:00:00Z");
    assert_eq!(report["alerts"][0]["earliest_fire"], "2026-11-18T08:15:00Z");
    // Filters: the connector's creator is stamped on every card, and on nothing else.
    assert_eq!(alert_numbers(&alerts_json(&["--actor", "TONY@contoso.com"])), (10, 10, 0, 0));
    assert_eq!(alert_numbers(&alerts_json(&["--mailbox", "ceo@contoso.com"])), (1, 0, 1, 0));
    let both = alerts_json(&["--operation", "SendAs", "--operation", "sendonbehalf", "--mailbox", "ceo@contoso.com"]);
    assert_eq!(alert_numbers(&both), (2, 0, 2, 0));
    assert_eq!(both["rule"]["operations"], serde_json::json!(["SendAs", "SendOnBehalf"]));
}

#[test]
fn alerts_threshold_and_window_change_the_numbers() {
    // Nothing in this export happens twice in one hour.
    let two = alerts_json(&["--threshold", "2"]);
    assert_eq!(alert_numbers(&two), (0, 0, 0, 0));
    assert_eq!(two["rule"]["threshold"], 2);
    // Per day: the 18th is cards only; on the 21st the cards reach two, its one unknown sender does not.
    assert_eq!(alert_numbers(&alerts_json(&["--window", "1d"])), (4, 1, 3, 0));
    let daily = alerts_json(&["--threshold", "2", "--window", "1d"]);
    assert_eq!(alert_numbers(&daily), (4, 2, 2, 0));
    assert_eq!(daily["rule"]["window_seconds"], 86_400);
    assert_eq!(daily["alerts"][3]["window_start"], "2026-11-21T00:00:00Z");
    // The earliest fire is the second event of the day.
    assert_eq!(daily["alerts"][3]["earliest_fire"], "2026-11-21T10:40:00Z");
    assert_eq!(alert_numbers(&alerts_json(&["--window", "15m"])), (16, 11, 5, 0));
    assert_eq!(alert_numbers(&alerts_json(&["--threshold", "3", "--window", "2h"])), (0, 0, 0, 0));
}

#[test]
fn alerts_flags_it_cannot_use_are_one_line_errors() {
    for (flags, says) in [
        (&["--window", "90m"][..], "--window \"90m\": expected 15m, 1h, 2h or 1d"),
        (&["--window", "1H"], "--window \"1H\": expected 15m, 1h, 2h or 1d"),
        (&["--window", "3600"], "expected 15m, 1h, 2h or 1d"),
        (&["--window", ""], "expected 15m, 1h, 2h or 1d"),
        (&["--window", "1h\u{1b}[2J"], "--window \"1h\\u{1b}[2J\": expected"),
        (&["--threshold", "0"], "--threshold 0: an alert fires on 1 or more events"),
        (&["--operation", "FileAccessed"], "--operation \"FileAccessed\": expected SendAs, SendOnBehalf or Send"),
    ] {
        let out = alerts(flags);
        assert_eq!(out.status.code(), Some(2), "{flags:?}");
        assert!(out.stdout.is_empty(), "{flags:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(err.lines().count(), 1, "{flags:?}: {err}");
        assert!(err.starts_with("sendas-lens: ") && err.contains(says), "{flags:?}: {err}");
        assert!(acts_on_a_terminal(&err).is_none(), "{err:?}");
    }
    let help = String::from_utf8(run(&["alerts", "--help"]).stdout).unwrap();
    for flag in
        ["--operation", "--actor", "--mailbox", "--threshold", "--window", "--exported-at", "--rules", "--json", "15m"]
    {
        assert!(help.contains(flag), "{flag}: {help}");
    }
    assert!(String::from_utf8(run(&["--help"]).stdout).unwrap().contains("alerts"));
}

#[test]
fn alerts_text_sums_up_and_shows_no_control_character() {
    let out = alerts(&[]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).unwrap();
    for line in [
        "Alert: SendAs, any actor, any mailbox; fires on 1 or more in a 1h window (UTC)",
        "Alerts fired: 16",
        "  only because of connector or system noise: 11",
        "  still firing after the suggested exclusion: 5",
        "  sends that are not noise the exclusion would hide: 0",
        "  2026-11-18T08:00:00Z  connector 1  noise only; fired at 2026-11-18T08:15:00Z at the earliest (arrival times unknown)",
        "  2026-11-20T16:00:00Z  application 1; fired at 2026-11-20T16:00:00Z at the earliest (arrival times unknown)",
    ] {
        assert!(text.lines().any(|l| l == line), "{line:?} in\n{text}");
    }
    assert!(text.contains(r#"ClientInfoString contains "ConnectorWorkProvider""#), "{text}");
    // A filter value is shown as given, controls made visible (nothing matches it).
    let out = alerts(&["--actor", "\u{1b}]0;title\u{7}\u{202e}kim"]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("actor [U+001B]]0;title[U+0007][U+202E]kim"), "{text}");
    assert!(text.contains("Alerts fired: 0"), "{text}");
    assert_eq!(acts_on_a_terminal(&text), None);
}

#[test]
fn kql_prints_each_query_and_refuses_what_it_cannot_write() {
    for (target, table) in [("sentinel", "OfficeActivity"), ("defender", "CloudAppEvents")] {
        for query in ["classify", "alert"] {
            let out = run(&["kql", "--target", target, "--query", query]);
            assert!(out.status.success(), "{target} {query}: {}", String::from_utf8_lossy(&out.stderr));
            let text = String::from_utf8(out.stdout).unwrap();
            assert!(text.starts_with("// SendAs Lens") && text.contains(table), "{target} {query}");
        }
    }
    let delays = run(&["kql", "--target", "sentinel", "--query", "delays"]);
    assert!(String::from_utf8_lossy(&delays.stdout).contains("ingestion_time()"));
    let defender_delays = run(&["kql", "--target", "defender", "--query", "delays"]);
    assert_eq!(defender_delays.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&defender_delays.stderr).contains("no ingestion time"));
    let alert = String::from_utf8(
        run(&["kql", "--target", "sentinel", "--query", "alert", "--threshold", "2", "--window", "1d"]).stdout,
    )
    .unwrap();
    assert!(alert.contains("bin(TimeGenerated, 86400s)") && alert.contains("Events >= 2"), "{alert}");

    // A tenant's rules file: its rule in the query; a broken one refused with the JSON path.
    let dir = std::env::temp_dir().join(format!("sendas-lens-kql-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut rules: Value = serde_json::from_slice(&run(&["rules", "--json"]).stdout).unwrap();
    rules["rules"].as_array_mut().unwrap().insert(
        0,
        serde_json::json!({"name": "tenant-scanner", "class": "application", "explanation": "The scanner.",
            "condition": {"equals": {"field": "actor", "any_of": ["scanner@contoso.com"]}}}),
    );
    let good = dir.join("rules.json");
    std::fs::write(&good, rules.to_string()).unwrap();
    let text = String::from_utf8(run(&["kql", "--target", "sentinel", "--rules", &good.display().to_string()]).stdout)
        .unwrap();
    assert!(text.contains(r#"UserId in~ ("scanner@contoso.com"), "tenant-scanner""#), "{text}");
    rules["rules"][0]["class"] = "robot".into();
    let bad = dir.join("bad.json");
    std::fs::write(&bad, rules.to_string()).unwrap();
    for command in [vec!["kql", "--target", "sentinel"], vec!["summary"]] {
        let mut args = command.clone();
        let bad_path = bad.display().to_string();
        args.extend(["--rules", bad_path.as_str()]);
        if command[0] == "summary" {
            args.push("tests/fixtures/purview-article-scenario.csv");
        }
        let out = run(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("not a rules file: at rules[0].class: unknown variant `robot`"), "{err}");
        assert_eq!(err.lines().count(), 1);
    }
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn a_progress_bar_shows_on_a_terminal_only() {
    // 50,000 records, about 73 MB: over the size a bar is drawn for.
    let path = std::env::temp_dir().join(format!("sendas-lens-progress-{}.csv", std::process::id()));
    let shown = path.display().to_string();
    generate("purview-csv", 50000, 4, &path);
    // In a pipe (as here, and in CI): nothing on stderr.
    let piped = run(&["summary", &shown]);
    assert!(piped.status.success());
    assert_eq!(String::from_utf8_lossy(&piped.stderr), "");
    // On a terminal (`script` gives the command one): the bar, then cleared; never with --json.
    let on_terminal = |args: &str| -> Option<String> {
        let command = format!("{} {args} > /dev/null", env!("CARGO_BIN_EXE_sendas-lens"));
        let out = Command::new("script").args(["-qec", &command, "/dev/null"]).output().ok()?;
        Some(String::from_utf8_lossy(&out.stdout).into_owned())
    };
    match on_terminal(&format!("summary {shown}")) {
        Some(screen) => {
            assert!(screen.contains("records,") && screen.contains("left"), "{screen:?}");
            let json = on_terminal(&format!("summary --json {shown}")).unwrap();
            assert!(!json.contains("left"), "{json:?}");
        }
        None => eprintln!("no `script` on this machine: the terminal half of this test did not run"),
    }
    let _ = std::fs::remove_file(&path);
}
