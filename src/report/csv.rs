//! `bands.csv`: month × metric × P5..P95 and mean, one row each.

use crate::model::Metric;
use crate::stats::Band;

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
