//! RFM segments: named regions of the recency × frequency score grid
//! ("champions", "at_risk", …). The map is data, so administrators can
//! rename segments or move their borders; it is always defined on the 5×5
//! grid, and scores from another number of classes are mapped onto it.

use serde::{Deserialize, Serialize};

use crate::AnalyticsError;

/// Side of the grid segment rules are written on.
pub const GRID: u8 = 5;

/// One segment: every cell with R in `recency` and F in `frequency`
/// (inclusive ranges on the 1…5 grid).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SegmentRule {
    /// Segment name shown to users (e.g. `champions`).
    pub name: String,
    /// Lowest and highest R score of the segment.
    pub recency: (u8, u8),
    /// Lowest and highest F score of the segment.
    pub frequency: (u8, u8),
}

impl SegmentRule {
    fn new(name: &str, recency: (u8, u8), frequency: (u8, u8)) -> Self {
        Self {
            name: name.to_owned(),
            recency,
            frequency,
        }
    }

    fn contains(&self, r: u8, f: u8) -> bool {
        (self.recency.0..=self.recency.1).contains(&r)
            && (self.frequency.0..=self.frequency.1).contains(&f)
    }
}

/// A validated set of [`SegmentRule`]s covering each of the 25 (R, F) cells
/// exactly once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "Vec<SegmentRule>", into = "Vec<SegmentRule>")]
pub struct SegmentMap {
    rules: Vec<SegmentRule>,
    /// Rule index per cell, row-major by R then F (filled by `new`).
    cells: [[usize; GRID as usize]; GRID as usize],
}

impl SegmentMap {
    /// Validates the rules: names non-empty, ranges within 1…5 and ordered,
    /// every cell covered by exactly one rule.
    pub fn new(rules: Vec<SegmentRule>) -> Result<Self, AnalyticsError> {
        let invalid = |m: String| Err(AnalyticsError::InvalidSegmentMap(m));
        for rule in &rules {
            if rule.name.trim().is_empty() {
                return invalid("a segment has an empty name".into());
            }
            for (what, (lo, hi)) in [("R", rule.recency), ("F", rule.frequency)] {
                if lo < 1 || hi > GRID || lo > hi {
                    return invalid(format!(
                        "segment \"{}\": {what} range {lo}–{hi} is not within 1–{GRID}",
                        rule.name
                    ));
                }
            }
        }
        let mut cells = [[0; GRID as usize]; GRID as usize];
        for r in 1..=GRID {
            for f in 1..=GRID {
                let matching: Vec<usize> = (0..rules.len())
                    .filter(|&i| rules[i].contains(r, f))
                    .collect();
                match matching.as_slice() {
                    [only] => cells[usize::from(r - 1)][usize::from(f - 1)] = *only,
                    [] => return invalid(format!("no segment covers R{r} F{f}")),
                    [first, second, ..] => {
                        return invalid(format!(
                            "R{r} F{f} is in both \"{}\" and \"{}\"",
                            rules[*first].name, rules[*second].name
                        ))
                    }
                }
            }
        }
        Ok(Self { rules, cells })
    }

    /// The rules, in the order given.
    pub fn rules(&self) -> &[SegmentRule] {
        &self.rules
    }

    /// Segment of R and F scores on the 5-grid (clamped to 1…5).
    pub fn segment(&self, r: u8, f: u8) -> &str {
        let cell = |s: u8| usize::from(s.clamp(1, GRID) - 1);
        &self.rules[self.cells[cell(r)][cell(f)]].name
    }

    /// Segment of R and F scores from `classes` classes, mapped onto the
    /// 5-grid with [`to_five_grid`].
    pub fn classify(&self, r: u8, f: u8, classes: u8) -> &str {
        self.segment(to_five_grid(r, classes), to_five_grid(f, classes))
    }
}

impl Default for SegmentMap {
    /// The standard RFM segment map:
    ///
    /// | R \ F | 1 | 2 | 3 | 4 | 5 |
    /// |---|---|---|---|---|---|
    /// | 5 | new_customers | potential_loyalists | potential_loyalists | champions | champions |
    /// | 4 | promising | potential_loyalists | potential_loyalists | loyal_customers | loyal_customers |
    /// | 3 | about_to_sleep | about_to_sleep | need_attention | loyal_customers | loyal_customers |
    /// | 1–2 | hibernating | hibernating | at_risk | at_risk | cant_lose |
    fn default() -> Self {
        let rules = vec![
            SegmentRule::new("hibernating", (1, 2), (1, 2)),
            SegmentRule::new("at_risk", (1, 2), (3, 4)),
            SegmentRule::new("cant_lose", (1, 2), (5, 5)),
            SegmentRule::new("about_to_sleep", (3, 3), (1, 2)),
            SegmentRule::new("need_attention", (3, 3), (3, 3)),
            SegmentRule::new("loyal_customers", (3, 4), (4, 5)),
            SegmentRule::new("promising", (4, 4), (1, 1)),
            SegmentRule::new("new_customers", (5, 5), (1, 1)),
            SegmentRule::new("potential_loyalists", (4, 5), (2, 3)),
            SegmentRule::new("champions", (5, 5), (4, 5)),
        ];
        // The table above is a complete partition; a failure is a bug here.
        Self::new(rules).unwrap_or_else(|e| unreachable!("default segment map: {e}"))
    }
}

impl TryFrom<Vec<SegmentRule>> for SegmentMap {
    type Error = AnalyticsError;

    fn try_from(rules: Vec<SegmentRule>) -> Result<Self, Self::Error> {
        Self::new(rules)
    }
}

impl From<SegmentMap> for Vec<SegmentRule> {
    fn from(map: SegmentMap) -> Self {
        map.rules
    }
}

/// Maps a score 1…`classes` to the 5-grid by the centre of its class:
/// class s covers the fraction ((s−1)/k, s/k] of customers, its centre
/// (s − ½)/k falls in grid cell ⌊5·(s − ½)/k⌋ + 1.
///
/// Identity for k = 5; k = 3 → 1, 3, 5; k = 4 → 1, 2, 4, 5; k = 10 → 1, 1,
/// 2, 2, …, 5, 5; k = 1 → 3 (the middle).
pub fn to_five_grid(score: u8, classes: u8) -> u8 {
    if classes == 0 {
        return 1;
    }
    let score = score.clamp(1, classes);
    let centre = (f64::from(score) - 0.5) / f64::from(classes);
    let cell = (centre * f64::from(GRID)).floor() as u8 + 1;
    cell.clamp(1, GRID)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_map_matches_the_standard_table() {
        let map = SegmentMap::default();
        let expect = [
            (1, 1, "hibernating"),
            (2, 2, "hibernating"),
            (2, 3, "at_risk"),
            (1, 4, "at_risk"),
            (2, 5, "cant_lose"),
            (3, 2, "about_to_sleep"),
            (3, 3, "need_attention"),
            (3, 4, "loyal_customers"),
            (4, 5, "loyal_customers"),
            (4, 1, "promising"),
            (5, 1, "new_customers"),
            (4, 2, "potential_loyalists"),
            (5, 3, "potential_loyalists"),
            (5, 4, "champions"),
            (5, 5, "champions"),
        ];
        for (r, f, name) in expect {
            assert_eq!(map.segment(r, f), name, "R{r} F{f}");
        }
    }

    #[test]
    fn gaps_and_overlaps_are_rejected() {
        let mut rules = SegmentMap::default().rules().to_vec();
        rules.retain(|r| r.name != "promising");
        let err = SegmentMap::new(rules.clone()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid segment map: no segment covers R4 F1"
        );
        rules.push(SegmentRule::new("everyone", (1, 5), (1, 1)));
        let err = SegmentMap::new(rules).unwrap_err();
        assert!(err
            .to_string()
            .contains("R1 F1 is in both \"hibernating\" and \"everyone\""));
        let bad_range = vec![SegmentRule::new("x", (0, 5), (1, 5))];
        assert!(SegmentMap::new(bad_range).is_err());
    }

    #[test]
    fn renamed_map_round_trips_through_serde_with_validation() {
        let rules = vec![
            SegmentRule::new("low", (1, 5), (1, 2)),
            SegmentRule::new("high", (1, 5), (3, 5)),
        ];
        let map = SegmentMap::new(rules).expect("valid");
        assert_eq!(map.segment(5, 3), "high");
        assert_eq!(map.classify(1, 1, 2), "low"); // class 1 of 2 → grid 2
        let json = serde_json::to_string(&map).expect("serialises");
        let back: SegmentMap = serde_json::from_str(&json).expect("deserialises");
        assert_eq!(back, map);
        let gap = r#"[{"name":"low","recency":[1,5],"frequency":[1,2]}]"#;
        let err = serde_json::from_str::<SegmentMap>(gap).unwrap_err();
        assert!(err.to_string().contains("no segment covers R1 F3"), "{err}");
    }

    #[test]
    fn scores_map_onto_the_five_grid_by_class_centre() {
        let grid = |k: u8| (1..=k).map(|s| to_five_grid(s, k)).collect::<Vec<_>>();
        assert_eq!(grid(5), [1, 2, 3, 4, 5]);
        assert_eq!(grid(3), [1, 3, 5]);
        assert_eq!(grid(4), [1, 2, 4, 5]);
        assert_eq!(grid(10), [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]);
        assert_eq!(grid(1), [3]);
        assert_eq!(grid(2), [2, 4]);
    }
}
