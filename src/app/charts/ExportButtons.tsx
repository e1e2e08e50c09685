/** The SVG / PNG / CSV buttons under a chart. `name` is the file name without extension. */
import type { RefObject } from 'react';
import { csvBlob, download, pngBlob, svgBlob } from './export';
import './charts.css';

export interface CsvTable {
  readonly header: readonly string[];
  readonly rows: readonly (readonly (string | number | null)[])[];
}

export function ExportButtons(props: {
  readonly name: string;
  readonly chart?: RefObject<SVGSVGElement | null>;
  /** The table behind the chart, computed only when asked for. */
  readonly table?: () => CsvTable;
}) {
  const { name, chart, table } = props;
  return (
    <fieldset className="export-buttons" aria-label={`Export ${name}`}>
      {chart && (
        <>
          <button
            type="button"
            onClick={() => chart.current && download(svgBlob(chart.current), `${name}.svg`)}
          >
            SVG
          </button>
          <button
            type="button"
            onClick={() => {
              const svg = chart.current;
              if (svg) void pngBlob(svg).then((b) => download(b, `${name}.png`));
            }}
          >
            PNG
          </button>
        </>
      )}
      {table && (
        <button
          type="button"
          onClick={() => {
            const t = table();
            download(csvBlob(t.header, t.rows), `${name}.csv`);
          }}
        >
          CSV
        </button>
      )}
    </fieldset>
  );
}
