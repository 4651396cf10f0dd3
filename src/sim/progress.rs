//! Progress display on rank 0: an indicatif bar on a terminal, plain log lines otherwise.

use crate::config::Progress;
use crate::models::Diagnostics;
use indicatif::{ProgressBar, ProgressStyle};
use std::io::IsTerminal;
use std::time::Instant;

pub struct Progressor {
    bar: Option<ProgressBar>,
    log: bool,
    start: Instant,
    start_step: u64,
    total_steps: Option<u64>,
    end_time: Option<f64>,
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
        Progressor { bar, log, start: Instant::now(), start_step, total_steps, end_time }
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
        let eta = if frac > f0 { elapsed * (1.0 - frac) / (frac - f0) } else { 0.0 };
        let d: Vec<String> = diags.iter().map(|(k, v)| format!("{k}={v:.6e}")).collect();
        let text = format!(
            "step {step} t={time:.6e} {:.0}% {:.1} steps/s eta {eta:.1}s | {}",
            frac * 100.0,
            self.rate(step),
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

    pub fn finish(&self) {
        if let Some(pb) = &self.bar {
            pb.finish_and_clear();
        }
    }
}
