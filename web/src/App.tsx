import { QuickStart } from "./components/QuickStart";
import { StatusCard } from "./components/StatusCard";

export function App() {
  return (
    <div className="mx-auto max-w-4xl p-4 sm:p-8">
      <header className="mb-6">
        <h1 className="text-2xl font-bold">Reelpilot</h1>
        <p className="text-sm text-slate-600">Plan, render and publish short videos to TikTok.</p>
      </header>
      <main className="grid gap-4 sm:grid-cols-2">
        <StatusCard />
        <QuickStart />
      </main>
    </div>
  );
}
