//! A local, strict stand-in for the Alibaba Cloud KMS OpenAPI.
