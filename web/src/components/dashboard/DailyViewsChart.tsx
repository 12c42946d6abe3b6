import { CartesianGrid, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import type { Schemas } from "../../lib/api";

const compact = new Intl.NumberFormat("en-US", { notation: "compact" });

/** The org's views per day: each post's latest snapshot of the day, summed. */
export function DailyViewsChart({ days }: { days: Schemas["DayMetrics"][] }) {
  if (days.length === 0) return <p className="text-sm text-slate-600">No metrics captured in these days.</p>;
  const data = days.map((d) => ({ day: d.day, views: d.view_count, likes: d.like_count }));
  return (
    <ResponsiveContainer width="100%" height={260}>
      <LineChart data={data} margin={{ top: 8, right: 8, bottom: 8, left: 0 }}>
        <CartesianGrid strokeDasharray="3 3" stroke="#e2e8f0" />
        <XAxis dataKey="day" fontSize={12} />
        <YAxis tickFormatter={(views: number) => compact.format(views)} width={44} fontSize={12} />
        <Tooltip />
        <Line dataKey="views" name="Views" stroke="#0284c7" strokeWidth={2} dot={data.length === 1} isAnimationActive={false} />
      </LineChart>
    </ResponsiveContainer>
  );
}
