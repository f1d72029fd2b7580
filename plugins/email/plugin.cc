// The bundled "email" plugin: email.send, a deferred action that renders
// Mustache templates over the ticket and sends them over SMTP (libcurl).
// See README.md for the configuration and the rule params.
#include <triggerfish/sdk.h>

#include "config.h"
#include "send.h"

TRIGGERFISH_PLUGIN_WITH_CONFIG("email", "1.0.0", triggerfish::plugins::email::Config,
                               triggerfish::plugins::email::Send);
