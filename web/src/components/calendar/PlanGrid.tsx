import type { CSSProperties } from "react";
import type { Schemas } from "../../lib/api";
import { SlotCell, type GridEditing } from "./SlotCell";

/** The plan's day `dayIndex` (its start date is a calendar date, so count in UTC to avoid DST shifts). */
export function dayLabel(startDate: string, dayIndex: number): string {
  const [year, month, day] = startDate.split("-").map(Number);
  return new Date(Date.UTC(year, month - 1, day + dayIndex)).toLocaleDateString(undefined, {
    weekday: "short",
    day: "numeric",
    month: "short",
    timeZone: "UTC",
  });
}

/** HH:MM in the project's time zone, the zone its posting times are in. */
export function timeIn(instant: string, timeZone: string | undefined): string {
  return new Date(instant).toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit", hourCycle: "h23", timeZone });
}

/** Slots grouped by day, days and slots in order. */
export function byDay(slots: Schemas["SlotView"][]): [number, Schemas["SlotView"][]][] {
  const days = new Map<number, Schemas["SlotView"][]>();
  for (const slot of slots) days.set(slot.day_index, [...(days.get(slot.day_index) ?? []), slot]);
  return [...days.entries()]
    .sort(([a], [b]) => a - b)
    .map(([day, cells]) => [day, cells.sort((a, b) => a.slot_index - b.slot_index)]);
}

/**
 * The month at a glance: a row per day with a cell per slot; on a phone
 * each day stacks its cells under the date.
 */
export function PlanGrid({
  slots,
  startDate,
  slotsPerDay,
  timeZone,
  editing,
}: {
  slots: Schemas["SlotView"][];
  startDate: string;
  slotsPerDay: number;
  timeZone?: string;
  editing?: GridEditing;
}) {
  const columns = { "--slots": Math.max(slotsPerDay, 1) } as CSSProperties;
  return (
    <ol className="space-y-3 md:space-y-2">
      {byDay(slots).map(([dayIndex, cells]) => {
        const date = dayLabel(startDate, dayIndex);
        return (
          <li
            key={dayIndex}
            aria-label={date}
            style={columns}
            className="grid gap-2 md:grid-cols-[6.5rem_repeat(var(--slots),minmax(0,1fr))]"
          >
            <h3 className="text-sm font-medium text-slate-600 md:pt-2">{date}</h3>
            {cells.map((slot) => {
              const time = timeIn(slot.scheduled_at, timeZone);
              return (
                <SlotCell
                  key={slot.id}
                  slot={slot}
                  time={time}
                  name={slot.hook || `${date}, ${time}`}
                  editing={editing}
                />
              );
            })}
          </li>
        );
      })}
    </ol>
  );
}
