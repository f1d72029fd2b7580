// The bundled "assign" plugin: inline actions that pick an agent for the
// ticket from the host's agent directory (see assignment.h for the output).
#include <triggerfish/sdk.h>

#include "least_loaded.h"
#include "round_robin.h"
#include "skills.h"

TRIGGERFISH_PLUGIN("assign", "1.0.0", triggerfish::plugins::assign::RoundRobin,
                   triggerfish::plugins::assign::LeastLoaded, triggerfish::plugins::assign::Skills);
