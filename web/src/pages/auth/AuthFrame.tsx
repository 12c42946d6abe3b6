import type { ReactNode } from "react";
import { Card } from "../../components/ui/card";

/** The frame of the signed-out pages: the product name and one card. */
export function AuthFrame({ title, children }: { title: string; children: ReactNode }) {
  return (
    <div className="flex min-h-screen items-start justify-center p-4 sm:items-center">
      <div className="w-full max-w-sm">
        <p className="mb-4 text-center text-2xl font-bold">Reelpilot</p>
        <Card>
          <h1 className="mb-4 text-lg font-semibold">{title}</h1>
          {children}
        </Card>
      </div>
    </div>
  );
}
