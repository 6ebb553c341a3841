//! The credentials printer: the apps and how to call them, printed by `cmcc sandbox` on start.

use super::{network, AuthState};
use crate::core::Core;

impl AuthState {
    /// The apps and how to call them (part of [`crate::Sandbox::describe`]).
    pub fn describe(&self, core: &Core) -> String {
        use std::fmt::Write as _;
        let base = &core.base_url;
        let mut out = String::from("\n== auth platform (number verification, UAID) ==\n");
        let _ = writeln!(out, "console:          {base}/_sandbox/auth/  (the console of both platforms, also /_sandbox/)");
        let _ = writeln!(
            out,
            "H5 JSSDK:         {base}{}",
            cmcc_proto::wire::passport::H5_JSSDK_PATH
        );
        let _ = writeln!(
            out,
            "mini JSSDK:       {base}{}",
            cmcc_proto::wire::passport::MINI_JSSDK_PATH
        );
        for (what, path) in [
            (
                "H5 getToken:      ",
                cmcc_proto::wire::passport::H5_GET_TOKEN_PATH,
            ),
            (
                "mini getTokenInfo:",
                cmcc_proto::wire::passport::MINI_GET_TOKEN_INFO_PATH,
            ),
            (
                "UAID getMobile:   ",
                cmcc_proto::wire::passport::UAID_GET_MOBILE_PATH,
            ),
        ] {
            let _ = writeln!(out, "{what}{base}{path}");
        }
        let _ = writeln!(
            out,
            "verify:           {base}{}",
            cmcc_proto::wire::passport::VERIFY_VM_MOBILE_PATH
        );
        let _ = writeln!(
            out,
            "UAID validate:    {base}{}",
            cmcc_proto::wire::passport::IMEI_TOKEN_VALIDATE_PATH
        );
        let _ = writeln!(
            out,
            "device header:    {}: 13800138000 (or '13800138000; wifi')",
            network::DEVICE_HEADER
        );
        let _ = writeln!(
            out,
            "test mode:        expandParams phoneNum=<number>; outcomes by number: crates/sandbox/MAGIC.md"
        );
        for app in self.apps() {
            let c = &app.cfg;
            let _ = writeln!(
                out,
                "\napp {} {}",
                c.app_id,
                if c.name.is_empty() { "" } else { &c.name }
            );
            let _ = writeln!(out, "  appId:                {}", c.app_id);
            let _ = writeln!(out, "  appKey:               {}", c.app_key);
            let _ = writeln!(out, "  platform public key:  {}", app.platform_public_b64);
            if !c.customer_public_key.is_empty() {
                let _ = writeln!(out, "  customer public key:  {}", c.customer_public_key);
            }
            if !c.customer_private_key.is_empty() {
                let _ = writeln!(
                    out,
                    "  customer private key: {} (demo only)",
                    c.customer_private_key
                );
            }
            let _ = writeln!(
                out,
                "  entitlements: {:?}; test mode: {}; referers: {:?}; origins: {:?}",
                c.entitlements, c.test_mode, c.referers, c.origins
            );
        }
        out
    }
}
