/**
 * A small Prometheus registry: counters, gauges and histograms with labels, rendered in the text
 * exposition format (version 0.0.4).
 */
export type Labels = Readonly<Record<string, string>>;

export interface Counter {
  inc(labels?: Labels, value?: number): void;
}

export interface Gauge {
  set(value: number, labels?: Labels): void;
}

export interface Histogram {
  observe(value: number, labels?: Labels): void;
}

export interface MetricsRegistry {
  counter(name: string, help: string): Counter;
  gauge(name: string, help: string, collect?: () => number): Gauge;
  histogram(name: string, help: string, buckets: readonly number[]): Histogram;
  render(): string;
}

interface Family {
  readonly name: string;
  readonly help: string;
  readonly type: 'counter' | 'gauge' | 'histogram';
  render(): string[];
}

export function createMetricsRegistry(): MetricsRegistry {
  const families: Family[] = [];

  return {
    counter(name, help) {
      const values = new Map<string, number>();
      families.push({ name, help, type: 'counter', render: () => [...values].map(([key, v]) => `${name}${key} ${v}`) });
      return {
        inc(labels = {}, value = 1) {
          const key = labelKey(labels);
          values.set(key, (values.get(key) ?? 0) + value);
        },
      };
    },

    gauge(name, help, collect) {
      const values = new Map<string, number>();
      families.push({
        name,
        help,
        type: 'gauge',
        render: () => (collect === undefined ? [...values].map(([key, v]) => `${name}${key} ${v}`) : [`${name} ${collect()}`]),
      });
      return { set: (value, labels = {}) => void values.set(labelKey(labels), value) };
    },

    histogram(name, help, buckets) {
      const series = new Map<string, { counts: number[]; sum: number; count: number; labels: Labels }>();
      families.push({
        name,
        help,
        type: 'histogram',
        render: () =>
          [...series.values()].flatMap((s) => [
            ...buckets.map((b, i) => `${name}_bucket${labelKey({ ...s.labels, le: String(b) })} ${s.counts[i] ?? 0}`),
            `${name}_bucket${labelKey({ ...s.labels, le: '+Inf' })} ${s.count}`,
            `${name}_sum${labelKey(s.labels)} ${s.sum}`,
            `${name}_count${labelKey(s.labels)} ${s.count}`,
          ]),
      });
      return {
        observe(value, labels = {}) {
          const key = labelKey(labels);
          let s = series.get(key);
          if (s === undefined) {
            s = { counts: buckets.map(() => 0), sum: 0, count: 0, labels };
            series.set(key, s);
          }
          buckets.forEach((b, i) => {
            if (value <= b && s !== undefined) s.counts[i] = (s.counts[i] ?? 0) + 1;
          });
          s.sum += value;
          s.count += 1;
        },
      };
    },

    render() {
      return `${families.flatMap((f) => [`# HELP ${f.name} ${f.help}`, `# TYPE ${f.name} ${f.type}`, ...f.render()]).join('\n')}\n`;
    },
  };
}

function labelKey(labels: Labels): string {
  const entries = Object.entries(labels);
  if (entries.length === 0) return '';
  return `{${entries.map(([k, v]) => `${k}="${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`).join(',')}}`;
}
