import { useMutation, useQueryClient } from "@tanstack/react-query";
import { ApiError } from "../../lib/api";
import { useOrg } from "../../lib/session";

/** Query keys of one slot; the slot's own key prefixes the others, so invalidating it refreshes them all. */
export function slotKeys(orgId: string, slotId: string) {
  const slot = ["org", orgId, "slot", slotId];
  return {
    slot,
    render: [...slot, "render"],
    pipeline: [...slot, "pipeline"],
    gate: [...slot, "publish-gate"],
    metrics: [...slot, "metrics"],
  };
}

/** The path parameters of every `/slots/{slot_id}…` call. */
export function slotPath(orgId: string, slotId: string) {
  return { params: { path: { org_id: orgId, slot_id: slotId } } };
}

/**
 * A change to one slot; afterwards everything shown about the slot is
 * fetched again, also when the API refused it because the slot changed
 * since it was shown (409 `stale_version`).
 */
export function useSlotMutation<Variables = void, Data = unknown>(
  slotId: string,
  mutationFn: (variables: Variables) => Promise<Data>,
  onSuccess?: (data: Data) => void,
) {
  const { orgId } = useOrg();
  const queries = useQueryClient();
  return useMutation({
    mutationFn,
    onSuccess: (data) => {
      onSuccess?.(data);
      return queries.invalidateQueries({ queryKey: slotKeys(orgId, slotId).slot });
    },
    onError: (error) => {
      if (error instanceof ApiError && error.code === "stale_version") {
        return queries.invalidateQueries({ queryKey: slotKeys(orgId, slotId).slot });
      }
    },
  });
}
