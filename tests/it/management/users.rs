//! Tests of this family's endpoints.
