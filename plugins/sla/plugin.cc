// The bundled "sla" plugin: SLA clocks per ticket and metric, counted in
// calendar time or business hours, with durable sla.warning and sla.breached
// events. See actions.h for the actions and config.h for the configuration.
#include <triggerfish/sdk.h>

#include "actions.h"
#include "config.h"

TRIGGERFISH_PLUGIN_WITH_CONFIG("sla", "1.0.0", triggerfish::plugins::sla::Config,
                               triggerfish::plugins::sla::Start, triggerfish::plugins::sla::Pause,
                               triggerfish::plugins::sla::Resume, triggerfish::plugins::sla::Stop);
