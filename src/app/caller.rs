//! Who is asking: the authenticated caller every use case takes.

use super::error::AppError;
use crate::domain::org::Role;

/// The authenticated caller.
#[derive(Clone, Copy, Debug)]
pub struct Auth {
    pub user_id: i64,
    pub org_id: i64,
    pub role: Role,
    /// The presented token (logout revokes it).
    pub jti: uuid::Uuid,
    pub token_version: i64,
    /// The token's `exp`, unix seconds.
    pub expires_at: i64,
}

impl Auth {
    /// 403 unless the caller has one of `roles`.
    pub fn require(&self, roles: &[Role]) -> Result<(), AppError> {
        if roles.contains(&self.role) {
            Ok(())
        } else {
            Err(AppError::forbidden(format!(
                "role '{}' may not perform this action",
                self.role.as_str()
            )))
        }
    }

    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }

    /// Idempotency keys are scoped to the user.
    pub fn idempotency_scope(&self) -> String {
        format!("user:{}", self.user_id)
    }
}
