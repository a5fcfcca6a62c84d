use plotters::coord::Shift;
use plotters::prelude::*;

use super::{Chart, Ctx, Res};

pub struct Cumulative;

impl Chart for Cumulative {
    const NAME: &'static str = "cumulative";

    fn draw<DB: DrawingBackend>(_ctx: &Ctx, _root: &DrawingArea<DB, Shift>) -> Res {
        Ok(())
    }
}
