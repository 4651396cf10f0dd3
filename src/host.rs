//! The machine a run or a study ran on, as Linux describes it: host name, CPU model, how many
//! CPUs this process may use and how many are online, memory, caches, and the load average. Read
//! from /proc and sysfs; a fact that cannot be read is "unknown" or absent, never an error.

use serde::{Deserialize, Serialize};

/// A description of this machine.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Host {
    pub hostname: String,
    /// /proc/cpuinfo "model name" of the first CPU (e.g. "Intel(R) Xeon(R) Processor").
    pub cpu_model: String,
    /// CPUs this process may run on (its affinity mask).
    pub cpus: usize,
    /// CPUs online in the machine.
    pub cpus_online: usize,
    /// MemTotal of /proc/meminfo, bytes (0 if unknown).
    pub memory_bytes: u64,
    /// Level-2 cache per core, bytes (as used to size temporal blocking).
    pub l2_bytes: usize,
    /// Last-level (L3) cache as sysfs reports it for CPU 0, bytes (0 if none or unknown).
    pub l3_bytes: usize,
}

impl Host {
    pub fn probe() -> Host {
        let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
        Host {
            hostname: hostname(),
            cpu_model: cpu_model(&cpuinfo).unwrap_or_else(|| "unknown".to_string()),
            cpus: std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1),
            cpus_online: cpuinfo.lines().filter(|l| l.starts_with("processor")).count().max(1),
            memory_bytes: mem_total(&meminfo).unwrap_or(0),
            l2_bytes: crate::machine::l2_cache_bytes(),
            l3_bytes: crate::machine::cache_bytes(3).unwrap_or(0),
        }
    }

    /// "Intel(R) Xeon(R) Processor, 2 CPUs, 23.5 GiB".
    pub fn one_line(&self) -> String {
        let online =
            if self.cpus_online != self.cpus { format!(" (of {} online)", self.cpus_online) } else { String::new() };
        format!(
            "{}, {} CPUs{online}, {:.1} GiB, L2 {} KiB",
            self.cpu_model,
            self.cpus,
            self.memory_bytes as f64 / (1u64 << 30) as f64,
            self.l2_bytes >> 10
        )
    }
}

pub fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|s| s.trim().to_string())
        .unwrap_or_else(|_| "unknown".into())
}

/// /proc/loadavg: the 1, 5 and 15 minute load averages.
pub fn loadavg() -> Option<[f64; 3]> {
    parse_loadavg(&std::fs::read_to_string("/proc/loadavg").ok()?)
}

fn parse_loadavg(text: &str) -> Option<[f64; 3]> {
    let v: Vec<f64> = text.split_whitespace().take(3).filter_map(|s| s.parse().ok()).collect();
    (v.len() == 3).then(|| [v[0], v[1], v[2]])
}

fn cpu_model(cpuinfo: &str) -> Option<String> {
    cpuinfo
        .lines()
        .find(|l| l.starts_with("model name"))
        .and_then(|l| l.split_once(':'))
        .map(|(_, v)| v.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|s| !s.is_empty())
}

fn mem_total(meminfo: &str) -> Option<u64> {
    let line = meminfo.lines().find(|l| l.starts_with("MemTotal:"))?;
    let mut w = line.split_whitespace().skip(1);
    let n: u64 = w.next()?.parse().ok()?;
    match w.next() {
        Some("kB") => Some(n * 1024),
        None => Some(n),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proc_files_parse() {
        let cpuinfo = "processor\t: 0\nmodel name\t: Intel(R)  Xeon(R) Processor\nflags : x\n\nprocessor\t: 1\nmodel name\t: Intel(R) Xeon(R) Processor\n";
        assert_eq!(cpu_model(cpuinfo).as_deref(), Some("Intel(R) Xeon(R) Processor"));
        assert_eq!(cpu_model("processor : 0\n"), None);
        assert_eq!(mem_total("MemTotal:       24683952 kB\nMemFree: 1 kB\n"), Some(24683952 * 1024));
        assert_eq!(parse_loadavg("1.16 1.56 1.86 3/82 8891\n"), Some([1.16, 1.56, 1.86]));
        assert_eq!(parse_loadavg("x"), None);
        let h = Host::probe();
        assert!(h.cpus >= 1 && h.cpus_online >= 1);
        assert!(h.one_line().contains(&h.cpu_model));
    }
}
