import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Link } from "react-router";
import { Badge } from "../components/ui/badge";
import { Button } from "../components/ui/button";
import { Card } from "../components/ui/card";
import { Empty, ErrorMessage, Loading, Notice, PageHeader } from "../components/ui/feedback";
import { call, client } from "../lib/api";

const SESSIONS = ["me", "sessions"];

/** The user's signed-in devices; outside any organisation, so it has its own frame. */
export function Sessions() {
  const queries = useQueryClient();
  const sessions = useQuery({ queryKey: SESSIONS, queryFn: () => call(client.GET("/api/me/sessions")) });
  const revoke = useMutation({
    mutationFn: (sessionId: string) =>
      call(client.DELETE("/api/me/sessions/{session_id}", { params: { path: { session_id: sessionId } } })),
    onSuccess: () => queries.invalidateQueries({ queryKey: SESSIONS }),
  });
  const revokeOthers = useMutation({
    mutationFn: () => call(client.POST("/api/me/sessions/revoke-others")),
    onSuccess: () => queries.invalidateQueries({ queryKey: SESSIONS }),
  });
  return (
    <div className="min-h-screen">
      <header className="border-b border-slate-200 bg-white px-4 py-3">
        <Link to="/" className="text-sm underline">
          ← Back to Reelpilot
        </Link>
      </header>
      <main className="mx-auto max-w-4xl space-y-4 p-4 md:p-8">
        <PageHeader title="Sessions and devices">
          <Button variant="outline" onClick={() => revokeOthers.mutate()} disabled={revokeOthers.isPending}>
            Sign out other sessions
          </Button>
        </PageHeader>
        {revokeOthers.isSuccess && (
          <Notice tone="good">
            Signed out {revokeOthers.data.revoked} other {revokeOthers.data.revoked === 1 ? "session" : "sessions"}.
          </Notice>
        )}
        <ErrorMessage error={revokeOthers.error} />
        <ErrorMessage error={revoke.error} />
        {sessions.isPending ? (
          <Loading />
        ) : sessions.isError ? (
          <ErrorMessage error={sessions.error} />
        ) : sessions.data.length === 0 ? (
          <Empty title="No active sessions" />
        ) : (
          <Card className="overflow-x-auto p-0">
            <table className="w-full min-w-[36rem] text-left text-sm">
              <thead className="border-b border-slate-200 text-xs text-slate-500">
                <tr>
                  <th className="p-3 font-medium">Device</th>
                  <th className="p-3 font-medium">IP address</th>
                  <th className="p-3 font-medium">Signed in</th>
                  <th className="p-3 font-medium">Last seen</th>
                  <th className="p-3" />
                </tr>
              </thead>
              <tbody>
                {sessions.data.map((s) => (
                  <tr key={s.id} className="border-b border-slate-100 last:border-0">
                    <td className="p-3">
                      <span className="break-all">{s.user_agent || "Unknown device"}</span>{" "}
                      {s.current && <Badge tone="info">This device</Badge>}
                    </td>
                    <td className="p-3 whitespace-nowrap">{s.ip}</td>
                    <td className="p-3 whitespace-nowrap">{new Date(s.created_at).toLocaleString()}</td>
                    <td className="p-3 whitespace-nowrap">{new Date(s.last_seen_at).toLocaleString()}</td>
                    <td className="p-3 text-right">
                      {!s.current && (
                        <Button
                          variant="outline"
                          size="sm"
                          aria-label={`Revoke session ${s.user_agent}`}
                          onClick={() => revoke.mutate(s.id)}
                          disabled={revoke.isPending}
                        >
                          Revoke
                        </Button>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </Card>
        )}
      </main>
    </div>
  );
}
