import { CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import type { Schemas } from "../../lib/api";

const COLORS = ["#0284c7", "#db2777", "#16a34a", "#ea580c", "#7c3aed", "#0d9488", "#ca8a04", "#475569"];
const LEGEND_CHARS = 32;

const compact = new Intl.NumberFormat("en-US", { notation: "compact" });

function shorten(hook: string) {
  return hook.length > LEGEND_CHARS ? `${hook.slice(0, LEGEND_CHARS - 1)}…` : hook;
}

/** Lines drawn at most, one per post; the posts come most viewed first. */
const MAX_LINES = COLORS.length;

/** One line per post: its views at each day's latest snapshot. */
export function ViewsChart({ posts }: { posts: Schemas["PostMetrics"][] }) {
  const series = posts
    .filter((post) => post.points.length > 0)
    .slice(0, MAX_LINES)
    .map((post) => ({
      slotId: post.slot_id,
      hook: post.hook,
      points: post.points.map((p) => ({ time: Date.parse(p.captured_at), views: p.view_count })),
    }));
  if (series.length === 0) return <p className="text-sm text-slate-600">No metrics captured yet.</p>;
  return (
    <ResponsiveContainer width="100%" height={320}>
      <LineChart margin={{ top: 8, right: 8, bottom: 8, left: 0 }}>
        <CartesianGrid strokeDasharray="3 3" stroke="#e2e8f0" />
        {/* A time axis, since each post has its own capture times. */}
        <XAxis
          dataKey="time"
          type="number"
          scale="time"
          domain={["dataMin", "dataMax"]}
          tickFormatter={(time: number) => new Date(time).toLocaleDateString()}
          fontSize={12}
        />
        <YAxis tickFormatter={(views: number) => compact.format(views)} width={44} fontSize={12} />
        <Tooltip labelFormatter={(time) => new Date(Number(time)).toLocaleString()} />
        <Legend formatter={(hook: string) => shorten(hook)} />
        {series.map((s, i) => (
          <Line
            key={s.slotId}
            data={s.points}
            dataKey="views"
            name={s.hook}
            stroke={COLORS[i % COLORS.length]}
            strokeWidth={2}
            dot={s.points.length === 1}
            isAnimationActive={false}
          />
        ))}
      </LineChart>
    </ResponsiveContainer>
  );
}
