//! What a study's speedup and efficiency are relative to, in words and as axis labels.
//!
//! The baseline is the 1 x 1 configuration, or, where it has no time (not in the study, or every
//! run of it failed), the timed configuration of the fewest cores (then fewest ranks), `b` on
//! `p_b` cores ([`super::summary::summarise`]). Against 1 x 1 the speedup is `T1 / Tp`. Against
//! another baseline nothing measured says how fast one core is, so the study assumes `b` scaled
//! perfectly: strong, `S = p_b T_b / T_p` (b is taken to be p_b times one core, so b itself
//! shows S = p_b, efficiency 1); weak, `E = T_b / T_p` (b taken to be 100 % efficient). The
//! Amdahl and Gustafson fits rest on the same speedups, so on the same assumption.

use super::{Mode, Study};

/// The baseline's label ("2x1") and cores, if the study has one.
fn baseline(study: &Study) -> Option<(&str, usize)> {
    let label = study.baseline.as_deref()?;
    let cores = study.summary.iter().find(|c| c.label() == label).map(|c| c.cores)?;
    Some((label, cores))
}

/// One sentence: the baseline, and how speedup and efficiency follow from the times; for a
/// baseline other than 1 x 1, the assumption in words.
pub fn sentence(study: &Study) -> String {
    let Some((b, p)) = baseline(study) else {
        return "No configuration has a time: no speedup or efficiency.".to_string();
    };
    match (study.meta.mode, p) {
        (Mode::Strong, 1) => format!("Speedup S = T({b}) / T against the baseline {b}, efficiency S / p (p = ranks x threads)."),
        (Mode::Weak, 1) => {
            format!("Efficiency E = T({b}) / T against the baseline {b}, scaled speedup p E (p = ranks x threads).")
        }
        (Mode::Strong, p) => format!(
            "The study has no 1x1 time: speedup relative to {b}, assuming it is {p}.00x one core (perfect scaling up to its {p} cores, which nothing here measured): S = {p} T({b}) / T, efficiency S / p (p = ranks x threads); {b} itself shows speedup {p}.00, efficiency 1.00, and the Amdahl fits rest on the same assumption."
        ),
        (Mode::Weak, p) => format!(
            "The study has no 1x1 time: efficiency relative to {b}, assuming it is 100 % efficient (as fast per core as one core alone, which nothing here measured): E = T({b}) / T, scaled speedup p E (p = ranks x threads); {b} itself shows scaled speedup {p}.00, efficiency 1.00, and the Gustafson fits rest on the same assumption."
        ),
    }
}

/// The y-axis labels of the speedup and efficiency plots.
pub fn axis_labels(study: &Study) -> (String, String) {
    let (b, p) = baseline(study).unwrap_or(("1x1", 1));
    let tb = if p == 1 { "T1".to_string() } else { format!("{p} T({b})") };
    match study.meta.mode {
        Mode::Strong if p == 1 => ("speedup T1/Tp".into(), "efficiency T1/(p Tp)".into()),
        Mode::Strong => (
            format!("speedup {tb}/Tp (assumes {b} = {p}x one core)"),
            format!("efficiency {tb}/(p Tp) (assumes {b} = {p}x one core)"),
        ),
        Mode::Weak if p == 1 => ("scaled speedup p T1/Tp".into(), "efficiency T1/Tp".into()),
        Mode::Weak => (
            format!("scaled speedup p T({b})/Tp (assumes {b} 100 % efficient)"),
            format!("efficiency T({b})/Tp (assumes {b} 100 % efficient)"),
        ),
    }
}
