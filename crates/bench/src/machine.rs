//! The machine a figure was taken on: core count, CPU model, load, date.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Machine {
    pub nproc: usize,
    pub cpu: String,
    /// `/proc/loadavg`'s 1, 5 and 15 minute averages when the benchmark started.
    pub load_avg: String,
    /// UTC, RFC 3339, when the benchmark started.
    pub date: String,
    pub kernel: String,
}

impl Machine {
    pub(crate) fn now() -> Self {
        let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        let cpu = cpuinfo
            .lines()
            .find_map(|l| l.strip_prefix("model name"))
            .and_then(|l| l.split_once(':'))
            .map_or_else(|| "unknown CPU".to_owned(), |(_, v)| v.trim().to_owned());
        let load_avg = std::fs::read_to_string("/proc/loadavg")
            .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
            .unwrap_or_default();
        let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease")
            .map(|s| s.trim().to_owned())
            .unwrap_or_default();
        Self {
            nproc: nproc(),
            cpu,
            load_avg,
            date: chrono::Utc::now().format("%Y-%m-%d %H:%M UTC").to_string(),
            kernel,
        }
    }

    /// One line for a table caption.
    pub(crate) fn caption(&self) -> String {
        format!(
            "{} × {} (nproc {}), Linux {}, {}, load average at start {}",
            self.nproc, self.cpu, self.nproc, self.kernel, self.date, self.load_avg
        )
    }
}

pub(crate) fn nproc() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}
