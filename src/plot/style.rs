//! Look and feel shared by every chart: palette, fonts, sizes, tick labels.
//!
//! Everything visual that two charts could disagree on lives here, so the
//! four pictures of a run read as one set.

use plotters::style::{FontDesc, FontFamily, FontStyle, RGBColor, TextStyle};

use crate::format;

/// Okabe–Ito colours: safe for the common colour-vision deficiencies. Each
/// chart pairs colours of clearly different lightness so that the pictures
/// still read when printed in greyscale.
pub mod palette {
    use plotters::style::RGBColor;

    pub const BLUE: RGBColor = RGBColor(0x00, 0x72, 0xB2);
    pub const ORANGE: RGBColor = RGBColor(0xE6, 0x9F, 0x00);
    pub const SKY: RGBColor = RGBColor(0x56, 0xB4, 0xE9);
    pub const GREEN: RGBColor = RGBColor(0x00, 0x9E, 0x73);
    pub const YELLOW: RGBColor = RGBColor(0xF0, 0xE4, 0x42);
    pub const VERMILLION: RGBColor = RGBColor(0xD5, 0x5E, 0x00);
    pub const PURPLE: RGBColor = RGBColor(0xCC, 0x79, 0xA7);

    pub const BACKGROUND: RGBColor = RGBColor(0xFF, 0xFF, 0xFF);
    pub const INK: RGBColor = RGBColor(0x1A, 0x1A, 0x1A);
    pub const MUTED: RGBColor = RGBColor(0x55, 0x55, 0x55);
    pub const GRID: RGBColor = RGBColor(0xE4, 0xE4, 0xE4);
    pub const AXIS: RGBColor = RGBColor(0x88, 0x88, 0x88);

    /// Fan chart: the wide band is pale, the middle half darker, the median
    /// darkest, so the nesting survives greyscale.
    pub const BAND_OUTER: RGBColor = RGBColor(0xC6, 0xDF, 0xEE);
    pub const BAND_INNER: RGBColor = RGBColor(0x7F, 0xB5, 0xD6);
    pub const MEDIAN: RGBColor = RGBColor(0x00, 0x4F, 0x7C);
    pub const TARGET: RGBColor = VERMILLION;
    pub const OBSERVED: RGBColor = INK;

    /// Cash paid out, against commission earned (blue).
    pub const PAID: RGBColor = ORANGE;

    /// Stacked series, alternating dark and light neighbours.
    pub const SERIES: [RGBColor; 7] = [BLUE, YELLOW, VERMILLION, SKY, GREEN, ORANGE, PURPLE];
    /// Colour for the remainder when there are more series than colours.
    pub const OTHER: RGBColor = RGBColor(0xAA, 0xAA, 0xAA);

    /// `colour` mixed with white: `amount` 0 gives white, 1 the colour.
    pub fn tint(colour: RGBColor, amount: f64) -> RGBColor {
        let mix = |c: u8| (255.0 - (255.0 - c as f64) * amount).round() as u8;
        RGBColor(mix(colour.0), mix(colour.1), mix(colour.2))
    }
}

/// The family name the embedded font is registered under; plotters' own
/// defaults (mesh labels, legends) ask for it too.
pub const FAMILY: &str = "sans-serif";

/// Sizes at the default 1600×900, scaled with the picture.
pub mod size {
    pub const TITLE: f64 = 38.0;
    pub const ANSWER: f64 = 30.0;
    pub const SUBTITLE: f64 = 21.0;
    pub const AXIS: f64 = 22.0;
    pub const TICK: f64 = 20.0;
    pub const LEGEND: f64 = 20.0;
    pub const NOTE: f64 = 20.0;
    pub const MARGIN: f64 = 28.0;
    pub const LINE: f64 = 3.0;
}

/// Text below about 7 px is unreadable whatever the picture size: type
/// scaled with the picture stops there (only text that would otherwise not
/// fit goes smaller, see `frame::fit`).
pub const SMALLEST_TEXT_PX: f64 = 7.0;

/// Pixel sizes for one picture size.
#[derive(Clone, Copy, Debug)]
pub struct Theme {
    pub width: u32,
    pub height: u32,
    scale: f64,
}

impl Theme {
    pub fn new(width: u32, height: u32) -> Theme {
        let scale = (width as f64 / 1600.0).min(height as f64 / 900.0);
        Theme {
            width,
            height,
            scale: scale.clamp(0.15, 6.0),
        }
    }

    /// A length given at 1600×900, at this picture's size (at least 1 px).
    pub fn px(&self, base: f64) -> i32 {
        (base * self.scale).round().max(1.0) as i32
    }

    fn font_px(&self, base: f64) -> f64 {
        (base * self.scale).max(SMALLEST_TEXT_PX)
    }

    pub fn text(&self, base: f64, colour: RGBColor) -> TextStyle<'static> {
        FontDesc::new(
            FontFamily::Name(FAMILY),
            self.font_px(base),
            FontStyle::Normal,
        )
        .color(&colour)
    }

    pub fn bold(&self, base: f64, colour: RGBColor) -> TextStyle<'static> {
        FontDesc::new(
            FontFamily::Name(FAMILY),
            self.font_px(base),
            FontStyle::Bold,
        )
        .color(&colour)
    }

    pub fn line(&self) -> u32 {
        self.px(size::LINE) as u32
    }
}

/// What an axis counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unit {
    Money,
    Count,
    Percent,
}

impl Unit {
    pub fn of(metric: crate::model::Metric) -> Unit {
        if metric.is_money() {
            Unit::Money
        } else {
            Unit::Count
        }
    }

    /// A tick label; `span` (the axis range) decides the precision so that
    /// neighbouring ticks never print the same text.
    pub fn tick(self, value: f64, span: f64) -> String {
        if !value.is_finite() {
            return String::new();
        }
        let span = span.abs();
        match self {
            // Shares above 100% are impossible: that part of the axis is headroom.
            Unit::Percent if value > 100.0 + 1e-9 => String::new(),
            Unit::Percent => {
                if span < 5.0 {
                    format!("{value:.1}%")
                } else {
                    format!("{value:.0}%")
                }
            }
            _ if span >= 1e6 => compact(value, self == Unit::Money),
            Unit::Money if span < 5.0 => format::money(value),
            Unit::Money => format::money_whole(value),
            Unit::Count if span < 5.0 => format!("{value:.1}"),
            Unit::Count => format::count(value),
        }
    }

    /// A value in running text: "$500", "1,400".
    pub fn value(self, value: f64) -> String {
        match self {
            Unit::Money if value.abs() >= 1e6 => compact(value, true),
            Unit::Money => format::money(value),
            Unit::Count if value.abs() >= 1e6 => compact(value, false),
            Unit::Count => format::count(value),
            Unit::Percent => format!("{value:.0}%"),
        }
    }
}

/// "$1.5M", "$2.25B": axes with huge values stay narrow.
fn compact(value: f64, money: bool) -> String {
    let sign = if value < 0.0 { "-" } else { "" };
    let dollar = if money { "$" } else { "" };
    let abs = value.abs();
    let (scaled, suffix) = if abs >= 1e12 {
        (abs / 1e12, "T")
    } else if abs >= 1e9 {
        (abs / 1e9, "B")
    } else if abs >= 1e6 {
        (abs / 1e6, "M")
    } else if abs >= 1e3 {
        (abs / 1e3, "k")
    } else {
        (abs, "")
    };
    let digits = if scaled == scaled.trunc() {
        0
    } else if (scaled * 10.0 - (scaled * 10.0).round()).abs() < 1e-6 {
        1
    } else {
        2
    };
    format!("{sign}{dollar}{scaled:.digits$}{suffix}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_read_naturally() {
        assert_eq!(Unit::Money.tick(500.0, 1000.0), "$500");
        assert_eq!(Unit::Money.tick(1500.0, 3000.0), "$1,500");
        assert_eq!(Unit::Money.tick(0.5, 1.0), "$0.50");
        assert_eq!(Unit::Money.tick(1.5e9, 2e9), "$1.5B");
        assert_eq!(Unit::Money.tick(2e6, 5e6), "$2M");
        assert_eq!(Unit::Count.tick(1400.0, 2000.0), "1,400");
        assert_eq!(Unit::Percent.tick(10.0, 40.0), "10%");
        assert_eq!(palette::tint(palette::BLUE, 0.0), palette::BACKGROUND);
        assert_eq!(palette::tint(palette::BLUE, 1.0), palette::BLUE);
    }
}
