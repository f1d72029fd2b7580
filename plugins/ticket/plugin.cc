// The bundled "ticket" plugin: inline actions that change the ticket itself.
#include <triggerfish/sdk.h>

#include "set_custom_field.h"
#include "set_fields.h"
#include "tags.h"

TRIGGERFISH_PLUGIN("ticket", "1.0.0", triggerfish::plugins::ticket::SetFields,
                   triggerfish::plugins::ticket::AddTags, triggerfish::plugins::ticket::RemoveTags,
                   triggerfish::plugins::ticket::SetCustomField);
