use plotters::coord::Shift;
use plotters::prelude::*;

use super::{Chart, Ctx, Res};

pub struct TargetChart;

impl Chart for TargetChart {
    const NAME: &'static str = "target";

    fn draw<DB: DrawingBackend>(_ctx: &Ctx, _root: &DrawingArea<DB, Shift>) -> Res {
        Ok(())
    }
}
