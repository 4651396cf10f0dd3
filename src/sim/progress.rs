//! Progress display on rank 0: an indicatif bar on a terminal, plain log lines otherwise.

use crate::config::Progress;
use crate::models::Diagnostics;
use indicatif::{ProgressBar, ProgressStyle};
use std::cell::Cell;
use std::io::IsTerminal;
use std::time::Instant;

pub struct Progressor {
    bar: Option<ProgressBar>,
    log: bool,
    start: Instant,
    start_step: u64,
    total_steps: Option<u64>,
    end_time: Option<f64>,
    /// `time.steady_tolerance`, the model's latest change and the (seconds, log10 change) of the
    /// last progress line: the time to the steady state, extrapolated from the change's decay.
    steady: Option<f64>,
    change: Cell<f64>,
    last: Cell<Option<(f64, f64)>>,
}

impl Progressor {
    pub fn new(
        mode: Progress,
        is_root: bool,
        total_steps: Option<u64>,
        end_time: Option<f64>,
        start_step: u64,
    ) -> Progressor {
        let terminal = std::io::stderr().is_terminal();
        let (bar, log) = match (is_root, mode) {
            (false, _) | (_, Progress::Off) => (false, false),
            (true, Progress::Bar) => (true, false),
            (true, Progress::Log) => (false, true),
            (true, Progress::Auto) => (terminal, !terminal),
        };
        let bar = bar.then(|| {
            let pb = ProgressBar::new(total_steps.unwrap_or(1000));
            pb.set_style(
                ProgressStyle::with_template("{bar:30} {pos}/{len} {msg} [{elapsed_precise} < {eta_precise}]")
                    .expect("valid template"),
            );
            pb
        });
        Progressor {
            bar,
            log,
            start: Instant::now(),
            start_step,
            total_steps,
            end_time,
            steady: None,
            change: Cell::new(f64::NAN),
            last: Cell::new(None),
        }
    }

    /// Report the time to `time.steady_tolerance` on each line too.
    pub fn with_steady(mut self, tolerance: Option<f64>) -> Progressor {
        self.steady = tolerance;
        self
    }

    /// The model's change per unit time after the latest step (the steady-state measure).
    pub fn note_change(&self, change: f64) {
        self.change.set(change);
    }

    /// " steady in ~Ns" once the change has fallen between two lines: the seconds to the
    /// tolerance at the decay rate (per second, in decades) since the last line.
    fn steady_eta(&self, elapsed: f64) -> String {
        let (Some(tol), change) = (self.steady, self.change.get()) else { return String::new() };
        if !(change > 0.0 && change.is_finite()) {
            return String::new();
        }
        let now = (elapsed, change.log10());
        let text = match self.last.replace(Some(now)) {
            Some((t0, l0)) if now.1 < l0 && now.0 > t0 => {
                let rate = (l0 - now.1) / (now.0 - t0);
                format!(" steady in ~{:.0}s", ((now.1 - tol.log10()) / rate).max(0.0))
            }
            _ => String::new(),
        };
        text
    }

    fn fraction(&self, step: u64, time: f64) -> f64 {
        match (self.total_steps, self.end_time) {
            (Some(n), _) if n > 0 => step as f64 / n as f64,
            (_, Some(e)) if e > 0.0 => time / e,
            _ => 1.0,
        }
    }

    fn rate(&self, step: u64) -> f64 {
        (step - self.start_step.min(step)) as f64 / self.start.elapsed().as_secs_f64().max(1e-9)
    }

    pub fn update(&self, step: u64, time: f64) {
        if let Some(pb) = &self.bar {
            match self.total_steps {
                Some(_) => pb.set_position(step),
                // Unknown step count: drive the bar by simulated time, in permille.
                None => pb.set_position((self.fraction(step, time) * 1000.0) as u64),
            }
            pb.set_message(format!("step {step} t={time:.4e} {:.1} steps/s", self.rate(step)));
        }
    }

    pub fn line(&self, step: u64, time: f64, diags: &Diagnostics) {
        let frac = self.fraction(step, time);
        let f0 = self.fraction(self.start_step, 0.0).min(frac);
        let elapsed = self.start.elapsed().as_secs_f64();
        // No rate or estimate before the first step of this process; none left at the end.
        let pace = if step <= self.start_step {
            String::new()
        } else if frac >= 1.0 {
            format!(" {:.1} steps/s", self.rate(step))
        } else {
            let eta = if frac > f0 { (elapsed * (1.0 - frac) / (frac - f0)).max(0.0) } else { 0.0 };
            format!(" {:.1} steps/s eta {eta:.1}s", self.rate(step))
        };
        let d: Vec<String> = diags.iter().map(|(k, v)| format!("{k}={v:.6e}")).collect();
        let text = format!(
            "step {step} t={time:.6e} {:.0}%{pace}{} | {}",
            frac * 100.0,
            self.steady_eta(elapsed),
            d.join(" ")
        );
        self.say(&text);
    }

    /// A message on rank 0 that does not break the bar.
    pub fn say(&self, text: &str) {
        if let Some(pb) = &self.bar {
            pb.println(text);
        } else if self.log {
            eprintln!("{text}");
        }
    }

    /// A warning on rank 0 (printed whatever `output.progress` says), that does not break the bar.
    pub fn warn(&self, text: &str) {
        match &self.bar {
            Some(pb) => pb.println(text),
            None => eprintln!("{text}"),
        }
    }

    pub fn finish(&self) {
        if let Some(pb) = &self.bar {
            pb.finish_and_clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steady_eta_extrapolates_the_decay_between_lines() {
        let p = Progressor::new(Progress::Off, false, Some(100), None, 0).with_steady(Some(1e-6));
        p.note_change(1e-2);
        assert_eq!(p.steady_eta(1.0), "", "one sample: no rate yet");
        p.note_change(1e-3);
        assert_eq!(p.steady_eta(2.0), " steady in ~3s", "one decade per second, three to go");
        p.note_change(2e-3);
        assert_eq!(p.steady_eta(3.0), "", "a rising change gives no estimate");
        p.note_change(f64::NAN);
        assert_eq!(p.steady_eta(4.0), "");
        let q = Progressor::new(Progress::Off, false, Some(100), None, 0);
        q.note_change(1e-3);
        assert_eq!(q.steady_eta(1.0), "", "no tolerance, no estimate");
    }
}
