// The API's permission matrix (domain/src/identity/policy.rs), so the navigation
// and buttons show only what a role may do; the API enforces it regardless.

export type Role = "owner" | "admin" | "editor" | "viewer";
export type Action =
  | "read"
  | "edit_content"
  | "manage_projects"
  | "manage_members"
  | "rename_org"
  | "manage_credentials"
  | "manage_policy"
  | "delete_org"
  | "transfer_ownership";

const RANK: Record<Role, number> = { viewer: 0, editor: 1, admin: 2, owner: 3 };

const LEAST: Record<Action, Role> = {
  read: "viewer",
  edit_content: "editor",
  manage_projects: "admin",
  manage_members: "admin",
  rename_org: "admin",
  manage_credentials: "admin",
  manage_policy: "admin",
  delete_org: "owner",
  transfer_ownership: "owner",
};

export function can(role: Role | undefined, action: Action): boolean {
  return role !== undefined && RANK[role] >= RANK[LEAST[action]];
}
