//! The binary's command line: `--host`, `--port`, `--workers`, `--help`.
//!
//! Handwritten to keep the binary small. Flags win over the `HOST`, `PORT`
//! and `WORKERS` environment variables, which win over the defaults.

use std::ffi::OsString;

use crate::error::Error;

/// Where and how to serve.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Options {
    pub(crate) host: String,
    pub(crate) port: u16,
    pub(crate) workers: usize,
}

/// What the command line asks for.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Command {
    Serve(Options),
    Help,
}

pub(crate) fn usage(program: &str) -> String {
    format!(
        "Usage: {program} [--host HOST] [--port PORT] [--workers N]\n\
         \n\
         Serve the app compiled into this binary.\n\
         \n\
         Options:\n  \
           --host HOST    address to listen on [env: HOST] [default: 127.0.0.1]\n  \
           --port PORT    port to listen on [env: PORT] [default: 8000]\n  \
           --workers N    worker processes sharing the port (SO_REUSEPORT),\n                 \
                          each with its own interpreter [env: WORKERS] [default: 1]\n  \
           -h, --help     print this help\n"
    )
}

/// Parses the arguments (without the program name) and the environment.
pub(crate) fn parse(
    args: impl IntoIterator<Item = OsString>,
    env: impl Fn(&str) -> Option<String>,
) -> Result<Command, Error> {
    let mut host = env("HOST");
    let mut port = env("PORT");
    let mut workers = env("WORKERS");
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        let arg = arg
            .into_string()
            .map_err(|a| Error::usage(format!("invalid argument {a:?}")))?;
        let (flag, inline) = match arg.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f.to_owned(), Some(v.to_owned())),
            _ => (arg.clone(), None),
        };
        let slot = match flag.as_str() {
            "-h" | "--help" => return Ok(Command::Help),
            "--host" => &mut host,
            "--port" => &mut port,
            "--workers" => &mut workers,
            _ => return Err(Error::usage(format!("unexpected argument `{arg}`"))),
        };
        let value = match inline {
            Some(v) => v,
            None => args
                .next()
                .and_then(|v| v.into_string().ok())
                .ok_or_else(|| Error::usage(format!("`{flag}` needs a value")))?,
        };
        *slot = Some(value);
    }
    let host = host.unwrap_or_else(|| "127.0.0.1".to_owned());
    let port = match port {
        None => 8000,
        Some(p) => p
            .trim()
            .parse()
            .map_err(|_| Error::usage(format!("invalid port `{p}`")))?,
    };
    let workers = match workers {
        None => 1,
        Some(w) => match w.trim().parse() {
            Ok(n) if n >= 1 => n,
            _ => return Err(Error::usage(format!("invalid worker count `{w}`"))),
        },
    };
    if workers > 1 && port == 0 {
        return Err(Error::usage(
            "--port 0 picks a different port per worker; give a port with --workers",
        ));
    }
    Ok(Command::Serve(Options {
        host,
        port,
        workers,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(args: &[&str], env: &[(&str, &str)]) -> Result<Command, Error> {
        let env: Vec<(String, String)> = env
            .iter()
            .map(|(k, v)| ((*k).into(), (*v).into()))
            .collect();
        parse(args.iter().map(OsString::from), move |k| {
            env.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone())
        })
    }

    fn serve(host: &str, port: u16, workers: usize) -> Command {
        Command::Serve(Options {
            host: host.into(),
            port,
            workers,
        })
    }

    #[test]
    fn defaults_env_and_flags() {
        assert_eq!(p(&[], &[]).unwrap(), serve("127.0.0.1", 8000, 1));
        assert_eq!(
            p(
                &[],
                &[("HOST", "0.0.0.0"), ("PORT", "9000"), ("WORKERS", "2")]
            )
            .unwrap(),
            serve("0.0.0.0", 9000, 2)
        );
        assert_eq!(
            p(
                &["--port", "81", "--host=::1", "--workers", "3"],
                &[("PORT", "9000")]
            )
            .unwrap(),
            serve("::1", 81, 3)
        );
        assert_eq!(p(&["--help"], &[]).unwrap(), Command::Help);
        assert_eq!(p(&["-h"], &[]).unwrap(), Command::Help);
    }

    #[test]
    fn usage_errors() {
        assert!(p(&["--port"], &[]).unwrap_err().is_usage());
        assert!(p(&["--port", "x"], &[]).unwrap_err().is_usage());
        assert!(p(&["--workers", "0"], &[]).unwrap_err().is_usage());
        assert!(p(&["--bogus"], &[]).unwrap_err().is_usage());
        assert!(
            p(&["--port", "0", "--workers", "2"], &[])
                .unwrap_err()
                .is_usage()
        );
    }
}
