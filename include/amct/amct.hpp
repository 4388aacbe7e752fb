// amct/amct.hpp: everything amct offers. #include <amct/amct.hpp>
#pragma once

#include <amct/algo.hpp>
#include <amct/analysis.hpp>
#include <amct/config/check_config.hpp>
#include <amct/config/config_json.hpp>
#include <amct/config/create_quant_config.hpp>
#include <amct/config/diagnostic.hpp>
#include <amct/config/json_locator.hpp>
#include <amct/config/json_reader.hpp>
#include <amct/config/layer_types.hpp>
#include <amct/config/quant_config.hpp>
#include <amct/config/resolve.hpp>
#include <amct/core.hpp>
#include <amct/dsl/quant_cfg.hpp>
#include <amct/dsl/record_txt.hpp>
#include <amct/dsl/schema_reader.hpp>
#include <amct/dsl/text_format.hpp>
#include <amct/pipeline/adapter.hpp>
#include <amct/pipeline/bn_fusion.hpp>
#include <amct/pipeline/deploy.hpp>
#include <amct/pipeline/executor.hpp>
#include <amct/pipeline/layer_params.hpp>
#include <amct/pipeline/quantized_model.hpp>
#include <amct/pipeline/record.hpp>
#include <amct/pipeline/record_json.hpp>
#include <amct/pipeline/session.hpp>
