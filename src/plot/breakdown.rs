use plotters::coord::Shift;
use plotters::prelude::*;

use super::{Chart, Ctx, Res};

pub struct Breakdown;

impl Chart for Breakdown {
    const NAME: &'static str = "breakdown";

    fn draw<DB: DrawingBackend>(_ctx: &Ctx, _root: &DrawingArea<DB, Shift>) -> Res {
        Ok(())
    }
}
