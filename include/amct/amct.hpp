// amct/amct.hpp: everything amct offers. #include <amct/amct.hpp>
#pragma once

#include <amct/algo.hpp>
#include <amct/analysis.hpp>
#include <amct/config/check_config.hpp>
#include <amct/config/config_json.hpp>
#include <amct/config/create_quant_config.hpp>
#include <amct/config/layer_params.hpp>
#include <amct/config/quant_config.hpp>
#include <amct/config/record_json.hpp>
#include <amct/config/resolve.hpp>
#include <amct/core.hpp>
#include <amct/dsl/quant_cfg.hpp>
#include <amct/dsl/record_txt.hpp>
#include <amct/dsl/text_format.hpp>
#include <amct/pipeline/activation_calibration.hpp>
#include <amct/pipeline/bn_fusion.hpp>
#include <amct/pipeline/deploy.hpp>
#include <amct/pipeline/executor.hpp>
#include <amct/pipeline/quantized_model.hpp>
#include <amct/pipeline/runtime.hpp>
#include <amct/pipeline/session.hpp>
