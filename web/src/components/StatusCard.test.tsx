import { render, screen } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { StatusCard } from "./StatusCard";

describe("StatusCard", () => {
  it("names the failing dependency with its reason", async () => {
    const load = () =>
      Promise.resolve({
        ready: false,
        failed: ["postgres"],
        checks: {
          postgres: { ok: false, error: "connection refused" },
          temporal: { ok: true },
        },
      });
    render(<StatusCard load={load} />);
    expect(await screen.findByText("connection refused")).toBeTruthy();
    expect(screen.getByText("PostgreSQL")).toBeTruthy();
    expect(screen.getAllByLabelText("failing")).toHaveLength(1);
    expect(screen.getAllByLabelText("ok")).toHaveLength(1);
  });

  it("says when the API cannot be reached", async () => {
    render(<StatusCard load={() => Promise.reject(new Error("network"))} />);
    expect(await screen.findByRole("alert")).toBeTruthy();
  });
});
