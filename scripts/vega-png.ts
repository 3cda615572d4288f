/**
 * A vega-lite spec drawn as a PNG without a browser: vega-lite → vega → SVG → @resvg/resvg-js, in the font the
 * machine has (DejaVu Sans), at 1.5× zoom. Shared by the dashboard and benchmark charts.
 */
import { Resvg } from '@resvg/resvg-js';
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';

/** The look both charts share; a chart adds to it (a title size, say). */
export const CHART_CONFIG = {
  font: 'DejaVu Sans',
  view: { stroke: '#ddd' },
  axis: { labelFontSize: 10, titleFontSize: 11, gridColor: '#eee' },
} as const;

export async function specToPng(spec: TopLevelSpec): Promise<Buffer> {
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  const svg = await view.toSVG();
  view.finalize();
  const png = new Resvg(svg, {
    fitTo: { mode: 'zoom', value: 1.5 },
    font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans' },
  })
    .render()
    .asPng();
  return Buffer.from(png);
}
