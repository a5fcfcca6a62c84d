//! CSV files: `bands.csv` (month × metric × P5..P95 and mean, one row
//! each) and `sweep.csv` (one row per swept point).

use crate::model::Metric;
use crate::stats::Band;
use crate::strategy::sweep::Sweep;

pub fn render(bands: &[(Metric, Vec<Band>)]) -> String {
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer
        .write_record([
            "month", "metric", "p5", "p10", "p25", "p50", "p75", "p90", "p95", "mean",
        ])
        .expect("in-memory write");
    for (metric, bands) in bands {
        for band in bands {
            let mut row = vec![band.month.to_string(), metric.key().to_string()];
            row.extend(band.percentiles.iter().map(|v| format_number(*v)));
            row.push(format_number(band.mean));
            writer.write_record(&row).expect("in-memory write");
        }
    }
    String::from_utf8(writer.into_inner().expect("flushed")).expect("utf-8")
}

fn format_number(value: f64) -> String {
    let rounded = (value * 10_000.0).round() / 10_000.0;
    if rounded == 0.0 {
        "0".into()
    } else {
        rounded.to_string()
    }
}

/// `sweep.csv`: one row per point.
pub fn sweep(sweep: &Sweep) -> String {
    let mut writer = csv::Writer::from_writer(Vec::new());
    let mut header: Vec<String> = sweep.axes.iter().map(|a| a.key.clone()).collect();
    header.extend(
        [
            "probability",
            "standard_error",
            &format!("median_{}", sweep.target.metric.key()),
        ]
        .map(String::from),
    );
    writer.write_record(&header).expect("in-memory write");
    for point in &sweep.points {
        let mut row: Vec<String> = point.values.iter().map(|v| v.to_string()).collect();
        row.push(format!("{:.6}", point.probability.value));
        row.push(format!("{:.6}", point.probability.standard_error));
        row.push(format!("{:.4}", point.median));
        writer.write_record(&row).expect("in-memory write");
    }
    String::from_utf8(writer.into_inner().expect("flushed")).expect("utf-8")
}
