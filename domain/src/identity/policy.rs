//! Who may do what: the one permission matrix every handler consults.
//! Roles are ordered (viewer < editor < admin < owner) and every action
//! names the least role that may perform it.

use entities::memberships::Role;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Action {
    /// See the organisation, its members, projects, plans and slots.
    Read,
    /// Edit content: generate plans, edit and approve slots.
    EditContent,
    /// Create and change projects.
    ManageProjects,
    /// Invite, remove and change the roles of members; see invitations.
    ManageMembers,
    /// Rename the organisation.
    RenameOrg,
    /// Provider credentials and TikTok accounts.
    ManageCredentials,
    /// The org's content policy: its rules, and overriding a block.
    ManagePolicy,
    /// Billing and subscription.
    ManageBilling,
    /// Delete the organisation.
    DeleteOrg,
    /// Hand ownership to another member.
    TransferOwnership,
}

impl Action {
    pub const ALL: [Action; 10] = [
        Action::Read,
        Action::EditContent,
        Action::ManageProjects,
        Action::ManageMembers,
        Action::RenameOrg,
        Action::ManageCredentials,
        Action::ManagePolicy,
        Action::ManageBilling,
        Action::DeleteOrg,
        Action::TransferOwnership,
    ];

    /// The least role allowed to perform this action.
    pub fn least_role(self) -> Role {
        match self {
            Action::Read => Role::Viewer,
            Action::EditContent => Role::Editor,
            Action::ManageProjects
            | Action::ManageMembers
            | Action::RenameOrg
            | Action::ManageCredentials
            | Action::ManagePolicy => Role::Admin,
            Action::ManageBilling | Action::DeleteOrg | Action::TransferOwnership => Role::Owner,
        }
    }

    /// Actions that spend the platform's money or CPU (drafting, renders,
    /// uploads, publishing) or reach other people (invitations, TikTok):
    /// refused until the caller has confirmed their email address, so a
    /// throwaway signup cannot loop them.
    pub fn requires_verified_email(self) -> bool {
        matches!(self, Action::EditContent | Action::ManageMembers | Action::ManageCredentials)
    }

    pub fn describe(self) -> &'static str {
        match self {
            Action::Read => "reading this organisation",
            Action::EditContent => "editing content",
            Action::ManageProjects => "managing projects",
            Action::ManageMembers => "managing members",
            Action::RenameOrg => "renaming the organisation",
            Action::ManageCredentials => "managing credentials",
            Action::ManagePolicy => "managing the content policy",
            Action::ManageBilling => "managing billing",
            Action::DeleteOrg => "deleting the organisation",
            Action::TransferOwnership => "transferring ownership",
        }
    }
}

pub const ROLES: [Role; 4] = [Role::Viewer, Role::Editor, Role::Admin, Role::Owner];

fn rank(role: Role) -> u8 {
    match role {
        Role::Viewer => 0,
        Role::Editor => 1,
        Role::Admin => 2,
        Role::Owner => 3,
    }
}

/// Whether `role` may perform `action`.
pub fn allows(role: Role, action: Action) -> bool {
    rank(role) >= rank(action.least_role())
}

/// A caller's standing in an org: what every permission check consults.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Standing {
    pub role: Role,
    pub email_verified: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The role is below the action's least role.
    Role,
    /// The action needs a confirmed email address.
    EmailUnverified,
}

/// Whether a member with `standing` may perform `action`, and if not, why.
pub fn permits(standing: Standing, action: Action) -> Result<(), Refusal> {
    if !allows(standing.role, action) {
        Err(Refusal::Role)
    } else if action.requires_verified_email() && !standing.email_verified {
        Err(Refusal::EmailUnverified)
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_matrix_matches_the_product_rules() {
        use Action::*;
        // (action, viewer, editor, admin, owner)
        let expected = [
            (Read, true, true, true, true),
            (EditContent, false, true, true, true),
            (ManageProjects, false, false, true, true),
            (ManageMembers, false, false, true, true),
            (RenameOrg, false, false, true, true),
            (ManageCredentials, false, false, true, true),
            (ManagePolicy, false, false, true, true),
            (ManageBilling, false, false, false, true),
            (DeleteOrg, false, false, false, true),
            (TransferOwnership, false, false, false, true),
        ];
        assert_eq!(expected.len(), Action::ALL.len(), "every action has a row");
        for (action, viewer, editor, admin, owner) in expected {
            let got = ROLES.map(|r| allows(r, action));
            assert_eq!(got, [viewer, editor, admin, owner], "{action:?}");
        }
    }

    #[test]
    fn spending_and_reaching_people_need_a_confirmed_address_and_reading_does_not() {
        use Action::*;
        let needs = [EditContent, ManageMembers, ManageCredentials];
        for action in Action::ALL {
            let unverified = Standing { role: Role::Owner, email_verified: false };
            let verified = Standing { role: Role::Owner, email_verified: true };
            assert_eq!(permits(verified, action), Ok(()), "{action:?}");
            let expected = if needs.contains(&action) { Err(Refusal::EmailUnverified) } else { Ok(()) };
            assert_eq!(permits(unverified, action), expected, "{action:?}");
        }
        // The role is checked first: a viewer hears about the role, not the address.
        assert_eq!(permits(Standing { role: Role::Viewer, email_verified: false }, EditContent), Err(Refusal::Role));
    }
}
