import { render, screen } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { PlanGrid, type SlotSummary } from "./PlanGrid";

function slot(day: number, index: number, confidence: number | null, hook: string): SlotSummary {
  return {
    id: `${day}-${index}`,
    day_index: day,
    slot_index: index,
    scheduled_at: "2026-12-01T09:00:00Z",
    status: "draft",
    hook,
    format: "tutorial",
    confidence,
    rationale: `why ${day}-${index}`,
    locked: day === 1 && index === 0,
  };
}

describe("PlanGrid", () => {
  it("lays out a row per day with each slot's hook, confidence and rationale", () => {
    const slots = [slot(1, 1, 0.8, "Second day, second"), slot(0, 0, 0.35, "First hook"), slot(1, 0, null, "")];
    render(<PlanGrid slots={slots} />);
    const rows = screen.getAllByRole("row");
    expect(rows.map((r) => r.querySelector("th")?.textContent)).toEqual(["Day 1", "Day 2"]);
    expect(screen.getByText("First hook").closest("td")?.getAttribute("title")).toBe("why 0-0");
    const badges = screen.getAllByLabelText("confidence").map((b) => b.textContent);
    expect(badges).toEqual(["35%", "–", "80%"]);
    expect(screen.getByText("empty")).toBeTruthy();
  });
});
