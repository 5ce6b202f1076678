//! The machinery of docs/TUTORIAL.md: a template of prose and command blocks, and the
//! rendering of each block with the output its command really printed.
//!
//! A command block in the template is a fenced block whose info string starts with
//! `rvmmu-run`:
//!
//! ````text
//! ```rvmmu-run stderr twice
//! rvmmu run --mem 64M -c 'malloc_1 & sleep 1; cat /proc/$!/maps; fg'
//! ^Z
//!
//! ```
//! ````
//!
//! Its first line is the command (shell words: single and double quotes, backslashes), the
//! following lines are the command's standard input, one line each (`^Z`, `^C`, `^D`, `^\`
//! stand for the control bytes). The words after `rvmmu-run` are options:
//!
//! - `stderr`: show standard error too (kernel messages, the OOM killer's line);
//! - `no-stdout`: do not show standard output;
//! - `file=NAME`: show the file NAME the command wrote (a `--trace-out`), relative to the
//!   directory the command ran in;
//! - `grep=TEXT` (repeatable): of the shown stream (the file if any, else stdout) keep only
//!   lines containing one of the TEXTs; `drop=TEXT` (repeatable): remove lines containing
//!   it; `head=N` / `tail=N`: only the first / last N lines kept, with a line saying how
//!   many were left out;
//! - `twice`: run the command twice and require the same output both times.
//!
//! Every filter is named in the rendered text, so an excerpt always says it is one.

use std::fmt::Write as _;

/// What a command block asks for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Opts {
    pub stderr: bool,
    pub no_stdout: bool,
    pub file: Option<String>,
    pub grep: Vec<String>,
    pub drop: Vec<String>,
    pub head: Option<usize>,
    pub tail: Option<usize>,
    pub twice: bool,
}

/// One command block of the template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Block {
    /// The template's line number of the opening fence (for messages).
    pub line: usize,
    pub opts: Opts,
    /// The command as written (its first word is `rvmmu`).
    pub command: String,
    /// The standard input, bytes.
    pub stdin: Vec<u8>,
}

/// The template, cut into prose and command blocks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece {
    Text(String),
    Run(Block),
}

/// What one run of a block's command gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub stdout: String,
    pub stderr: String,
    /// The exit status (a signal's death as 128 + the signal, as a shell shows it).
    pub status: i32,
    /// The contents of the block's `file=`, if it asked for one.
    pub file: Option<String>,
}

/// The info-string word that marks a command block.
pub const MARK: &str = "rvmmu-run";

/// Parses a block's options (the info string's words after [`MARK`]).
pub fn parse_opts(words: &[&str]) -> Result<Opts, String> {
    let mut o = Opts::default();
    for w in words {
        match w.split_once('=') {
            None if *w == "stderr" => o.stderr = true,
            None if *w == "no-stdout" => o.no_stdout = true,
            None if *w == "twice" => o.twice = true,
            Some(("file", v)) if !v.is_empty() => o.file = Some(v.into()),
            Some(("grep", v)) if !v.is_empty() => o.grep.push(v.into()),
            Some(("drop", v)) if !v.is_empty() => o.drop.push(v.into()),
            Some(("head", v)) => {
                o.head = Some(v.parse().map_err(|_| format!("head={v}: not a number"))?)
            }
            Some(("tail", v)) => {
                o.tail = Some(v.parse().map_err(|_| format!("tail={v}: not a number"))?)
            }
            _ => return Err(format!("unknown option {w:?}")),
        }
    }
    Ok(o)
}

/// The bytes a block's input line stands for: the line and its newline, with `^X`
/// notations for control bytes replaced. A line that is only a control byte (`^Z`, `^D`)
/// is sent without a newline, as a key typed alone.
pub fn input_line(line: &str) -> Vec<u8> {
    let mut out = Vec::new();
    let mut chars = line.chars().peekable();
    let mut only_control = !line.is_empty();
    while let Some(c) = chars.next() {
        if c == '^' {
            if let Some(&n) = chars.peek() {
                if n.is_ascii_uppercase() || n == '\\' {
                    chars.next();
                    out.push(n as u8 & 0x1f);
                    continue;
                }
            }
        }
        only_control = false;
        let mut buf = [0; 4];
        out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
    }
    if !only_control {
        out.push(b'\n');
    }
    out
}

/// Cuts the template into prose and command blocks.
pub fn parse(template: &str) -> Result<Vec<Piece>, String> {
    let mut pieces = Vec::new();
    let mut text = String::new();
    let mut lines = template.split_inclusive('\n').enumerate();
    while let Some((i, line)) = lines.next() {
        let info = line.trim_end().strip_prefix("```");
        let words: Vec<&str> = info
            .map(|s| s.split_whitespace().collect())
            .unwrap_or_default();
        if words.first() != Some(&MARK) {
            text.push_str(line);
            continue;
        }
        let opts = parse_opts(&words[1..]).map_err(|e| format!("line {}: {e}", i + 1))?;
        let mut body = Vec::new();
        let mut closed = false;
        for (_, l) in lines.by_ref() {
            if l.trim_end() == "```" {
                closed = true;
                break;
            }
            body.push(l.strip_suffix('\n').unwrap_or(l).to_string());
        }
        if !closed {
            return Err(format!("line {}: the block is not closed", i + 1));
        }
        let Some((command, input)) = body.split_first() else {
            return Err(format!("line {}: the block has no command", i + 1));
        };
        if !command.starts_with("rvmmu ") {
            return Err(format!(
                "line {}: the command must start with `rvmmu`",
                i + 1
            ));
        }
        if !text.is_empty() {
            pieces.push(Piece::Text(std::mem::take(&mut text)));
        }
        pieces.push(Piece::Run(Block {
            line: i + 1,
            opts,
            command: command.clone(),
            stdin: input.iter().flat_map(|l| input_line(l)).collect(),
        }));
    }
    if !text.is_empty() {
        pieces.push(Piece::Text(text));
    }
    Ok(pieces)
}

/// Splits a command line into words as a POSIX shell does (no expansions): single quotes
/// keep everything, double quotes keep all but `\"` and `\\`, a backslash outside quotes
/// keeps the next character.
pub fn split_words(cmd: &str) -> Result<Vec<String>, String> {
    let mut words = Vec::new();
    let mut cur: Option<String> = None;
    let mut chars = cmd.chars();
    while let Some(c) = chars.next() {
        match c {
            ' ' | '\t' => {
                if let Some(w) = cur.take() {
                    words.push(w);
                }
            }
            '\'' => {
                let w = cur.get_or_insert_with(String::new);
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(c) => w.push(c),
                        None => return Err("unclosed single quote".into()),
                    }
                }
            }
            '"' => {
                let w = cur.get_or_insert_with(String::new);
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some(c @ ('"' | '\\' | '$' | '`')) => w.push(c),
                            Some(c) => {
                                w.push('\\');
                                w.push(c);
                            }
                            None => return Err("unclosed double quote".into()),
                        },
                        Some(c) => w.push(c),
                        None => return Err("unclosed double quote".into()),
                    }
                }
            }
            '\\' => match chars.next() {
                Some(c) => cur.get_or_insert_with(String::new).push(c),
                None => return Err("a backslash at the end".into()),
            },
            c => cur.get_or_insert_with(String::new).push(c),
        }
    }
    if let Some(w) = cur {
        words.push(w);
    }
    Ok(words)
}

/// How a reader feeds `stdin` to the command from a shell: nothing, `echo |`, or a
/// `printf` with octal escapes for the control bytes.
pub fn shell_input(stdin: &[u8]) -> String {
    if stdin.is_empty() {
        return String::new();
    }
    if stdin == b"\n" {
        return "echo | ".into();
    }
    let mut s = String::from("printf '");
    for &b in stdin {
        match b {
            b'\n' => s.push_str("\\n"),
            b'\'' => s.push_str("'\\''"),
            b'\\' => s.push_str("\\\\"),
            b'%' => s.push_str("%%"),
            0..=0x1f | 0x7f => {
                let _ = write!(s, "\\{b:03o}");
            }
            _ => s.push(b as char),
        }
    }
    s.push_str("' | ");
    s
}

/// `text`'s lines through the block's filters, and a description of the filters applied
/// (empty when none).
pub fn excerpt(opts: &Opts, text: &str) -> (String, String) {
    let kept: Vec<&str> = text
        .lines()
        .filter(|l| opts.grep.is_empty() || opts.grep.iter().any(|g| l.contains(g.as_str())))
        .filter(|l| !opts.drop.iter().any(|d| l.contains(d.as_str())))
        .collect();
    let mut how = Vec::new();
    if !opts.grep.is_empty() {
        let list: Vec<String> = opts.grep.iter().map(|g| format!("`{g}`")).collect();
        how.push(format!("the lines containing {}", list.join(" or ")));
    }
    if !opts.drop.is_empty() {
        let list: Vec<String> = opts.drop.iter().map(|g| format!("`{g}`")).collect();
        how.push(format!(
            "without the lines containing {}",
            list.join(" or ")
        ));
    }
    let mut out = String::new();
    let head = opts.head.unwrap_or(usize::MAX).min(kept.len());
    let tail = opts.tail.unwrap_or(usize::MAX).min(head);
    let from = head - tail;
    if from > 0 {
        how.push(format!("the last {tail}"));
        let _ = writeln!(out, "[... {from} lines before]");
    }
    for l in &kept[from..head] {
        out.push_str(l);
        out.push('\n');
    }
    if head < kept.len() {
        how.push(format!("the first {head}"));
        let _ = writeln!(out, "[... {} more lines]", kept.len() - head);
    }
    (out, how.join(", "))
}

/// A fenced block of `body` (a fence longer than any backtick run inside it).
fn fenced(lang: &str, body: &str) -> String {
    let mut fence = "```".to_string();
    while body.contains(fence.as_str()) {
        fence.push('`');
    }
    let mut s = format!("{fence}{lang}\n{body}");
    if !body.is_empty() && !body.ends_with('\n') {
        s.push('\n');
    }
    let _ = writeln!(s, "{fence}");
    s
}

/// The rendered text of one block: the command as a reader types it and what it printed.
pub fn render_block(block: &Block, out: &Outcome) -> String {
    let o = &block.opts;
    let mut s = String::new();
    let mut console = format!("$ {}{}\n", shell_input(&block.stdin), block.command);
    if !o.no_stdout {
        if o.file.is_none() {
            let (text, how) = excerpt(o, &out.stdout);
            if !how.is_empty() {
                let _ = writeln!(s, "Standard output, {how}:\n");
            }
            console.push_str(&text);
        } else {
            console.push_str(&out.stdout);
        }
    }
    s.push_str(&fenced("console", &console));
    if o.stderr && out.stderr.is_empty() {
        s.push_str("\nNothing on standard error.\n");
    } else if o.stderr {
        let _ = write!(s, "\nOn standard error:\n\n{}", fenced("text", &out.stderr));
    }
    if let (Some(name), Some(file)) = (&o.file, &out.file) {
        let (text, how) = excerpt(o, file);
        let how = if how.is_empty() {
            String::new()
        } else {
            format!(", {how}")
        };
        let _ = write!(s, "\n`{name}`{how}:\n\n{}", fenced("text", &text));
    }
    if out.status != 0 {
        let _ = writeln!(s, "\nExit status: {}.", out.status);
    }
    s
}

/// The whole document: the prose as written, each block as [`render_block`] renders it
/// with its outcome (`outcomes` in block order).
pub fn render(pieces: &[Piece], outcomes: &[Outcome]) -> String {
    let mut s = String::new();
    let mut outs = outcomes.iter();
    for p in pieces {
        match p {
            Piece::Text(t) => s.push_str(t),
            Piece::Run(b) => s.push_str(&render_block(
                b,
                outs.next().expect("an outcome for every block"),
            )),
        }
    }
    s
}

/// A line diff of `old` and `new` (`-` lines only in old, `+` only in new), with up to
/// two lines of context, from their longest common subsequence; empty when equal.
pub fn diff(old: &str, new: &str) -> String {
    let a: Vec<&str> = old.lines().collect();
    let b: Vec<&str> = new.lines().collect();
    // Trim the common head and tail: the table is only built for the middle.
    let head = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let tail = a[head..]
        .iter()
        .rev()
        .zip(b[head..].iter().rev())
        .take_while(|(x, y)| x == y)
        .count();
    let (ma, mb) = (&a[head..a.len() - tail], &b[head..b.len() - tail]);
    if ma.is_empty() && mb.is_empty() {
        return String::new();
    }
    // lcs[i][j]: the common subsequence length of ma[i..] and mb[j..].
    let mut lcs = vec![vec![0u32; mb.len() + 1]; ma.len() + 1];
    for i in (0..ma.len()).rev() {
        for j in (0..mb.len()).rev() {
            lcs[i][j] = if ma[i] == mb[j] {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    let mut out = String::new();
    for l in &a[head.saturating_sub(2)..head] {
        let _ = writeln!(out, "  {l}");
    }
    let (mut i, mut j) = (0, 0);
    while i < ma.len() || j < mb.len() {
        if i < ma.len() && j < mb.len() && ma[i] == mb[j] {
            let _ = writeln!(out, "  {}", ma[i]);
            i += 1;
            j += 1;
        } else if i < ma.len() && (j == mb.len() || lcs[i + 1][j] >= lcs[i][j + 1]) {
            let _ = writeln!(out, "- {}", ma[i]);
            i += 1;
        } else {
            let _ = writeln!(out, "+ {}", mb[j]);
            j += 1;
        }
    }
    for l in a[a.len() - tail..].iter().take(2) {
        let _ = writeln!(out, "  {l}");
    }
    let _ = writeln!(out, "(the first change is at line {})", head + 1);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_and_prose() {
        let t = "# T\nsome prose\n```rvmmu-run stderr head=3 grep=brk grep=mmap\nrvmmu run -c 'a; b'\n\n^Z\nx\n```\nmore\n```sh\nnot run\n```\n";
        let p = parse(t).unwrap();
        assert_eq!(p.len(), 3);
        assert_eq!(p[0], Piece::Text("# T\nsome prose\n".into()));
        let Piece::Run(b) = &p[1] else { panic!() };
        assert_eq!(b.line, 3);
        assert!(b.opts.stderr && !b.opts.twice);
        assert_eq!(b.opts.head, Some(3));
        assert_eq!(b.opts.grep, ["brk", "mmap"]);
        assert_eq!(b.command, "rvmmu run -c 'a; b'");
        assert_eq!(b.stdin, b"\n\x1ax\n");
        assert_eq!(p[2], Piece::Text("more\n```sh\nnot run\n```\n".into()));
    }

    #[test]
    fn bad_templates_say_where() {
        assert!(parse("```rvmmu-run\nrvmmu run x\n")
            .unwrap_err()
            .contains("line 1"));
        assert!(parse("x\n```rvmmu-run bogus\nrvmmu run\n```\n")
            .unwrap_err()
            .contains("line 2: unknown option"));
        assert!(parse("```rvmmu-run\nls\n```\n").is_err());
        assert!(parse("```rvmmu-run\n```\n").is_err());
        assert!(parse_opts(&["head=x"]).is_err());
    }

    #[test]
    fn words_as_a_shell_splits_them() {
        assert_eq!(
            split_words(r#"rvmmu run -c 'malloc_1 & cat /proc/$!/maps; fg' a\ b "c \"d\"""#)
                .unwrap(),
            [
                "rvmmu",
                "run",
                "-c",
                "malloc_1 & cat /proc/$!/maps; fg",
                "a b",
                "c \"d\""
            ]
        );
        assert_eq!(split_words("  x  ''  ").unwrap(), ["x", ""]);
        assert!(split_words("a 'b").is_err());
        assert!(split_words("a \"b").is_err());
        assert!(split_words("a \\").is_err());
    }

    #[test]
    fn input_as_typed_and_as_printf() {
        assert_eq!(input_line(""), b"\n");
        assert_eq!(input_line("^C"), b"\x03");
        assert_eq!(input_line("ls ^D"), b"ls \x04\n");
        assert_eq!(input_line("a^b"), b"a^b\n");
        assert_eq!(shell_input(b""), "");
        assert_eq!(shell_input(b"\n"), "echo | ");
        assert_eq!(shell_input(b"\n\x1a\n"), "printf '\\n\\032\\n' | ");
        assert_eq!(shell_input(b"it's 5%\n"), "printf 'it'\\''s 5%%\\n' | ");
    }

    #[test]
    fn excerpts_name_their_filters() {
        let mut o = Opts {
            grep: vec!["b".into()],
            head: Some(1),
            ..Opts::default()
        };
        let (t, how) = excerpt(&o, "a\nb1\nb2\nc\nb3\n");
        assert_eq!(t, "b1\n[... 2 more lines]\n");
        assert_eq!(how, "the lines containing `b`, the first 1");
        o.head = None;
        o.drop = vec!["2".into()];
        let (t, how) = excerpt(&o, "a\nb1\nb2\nc\nb3\n");
        assert_eq!(t, "b1\nb3\n");
        assert_eq!(
            how,
            "the lines containing `b`, without the lines containing `2`"
        );
        let o = Opts {
            tail: Some(2),
            ..Opts::default()
        };
        let (t, how) = excerpt(&o, "a\nb\nc\nd\n");
        assert_eq!(t, "[... 2 lines before]\nc\nd\n");
        assert_eq!(how, "the last 2");
        let (t, how) = excerpt(&Opts::default(), "x\ny\n");
        assert_eq!((t.as_str(), how.as_str()), ("x\ny\n", ""));
    }

    #[test]
    fn a_rendered_block() {
        let b = Block {
            line: 1,
            opts: Opts {
                stderr: true,
                file: Some("t.txt".into()),
                head: Some(1),
                ..Opts::default()
            },
            command: "rvmmu run --trace-out t.txt p".into(),
            stdin: b"\n".to_vec(),
        };
        let out = Outcome {
            stdout: "hello\n".into(),
            stderr: "Killed\n".into(),
            status: 137,
            file: Some("r1\nr2\n".into()),
        };
        assert_eq!(
            render_block(&b, &out),
            "```console\n$ echo | rvmmu run --trace-out t.txt p\nhello\n```\n\
             \nOn standard error:\n\n```text\nKilled\n```\n\
             \n`t.txt`, the first 1:\n\n```text\nr1\n[... 1 more lines]\n```\n\
             \nExit status: 137.\n"
        );
        // A backtick run inside the output gets a longer fence.
        assert_eq!(fenced("text", "```\n"), "````text\n```\n````\n");
    }

    #[test]
    fn diffs() {
        assert_eq!(diff("a\nb\n", "a\nb\n"), "");
        assert_eq!(
            diff("1\n2\n3\nx\n4\n5\n6\n", "1\n2\n3\ny\n4\n5\n6\n"),
            "  2\n  3\n- x\n+ y\n  4\n  5\n(the first change is at line 4)\n"
        );
        assert_eq!(
            diff("a\n", "a\nb\n"),
            "  a\n+ b\n(the first change is at line 2)\n"
        );
    }
}
