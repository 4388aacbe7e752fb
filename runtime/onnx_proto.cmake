# amct_onnx_proto: ONNX protobuf files decoded into plain structs and encoded from them (refrt/onnx_proto.hpp),
# with ONNX's schemas, shape inference and checker (libonnx). Used by amct_refrt's importer and exporter and by
# the tests' backend-case loader (tests/support), so either directory may include this file first. Defined
# only when protobuf and ONNX are found (Debian: libprotobuf-dev, libonnx-dev); callers check
# `if(TARGET amct_onnx_proto)`.
if(TARGET amct_onnx_proto)
    return()
endif()
if(NOT TARGET protobuf::libprotobuf)
    find_package(Protobuf QUIET)
endif()
if(NOT TARGET onnx_proto OR NOT TARGET onnx)
    find_package(ONNX CONFIG QUIET)
endif()
if(NOT TARGET protobuf::libprotobuf OR NOT TARGET onnx_proto OR NOT TARGET onnx)
    return()
endif()
add_library(amct_onnx_proto STATIC ${CMAKE_CURRENT_LIST_DIR}/refrt/onnx_proto.cpp)
target_include_directories(amct_onnx_proto PUBLIC ${CMAKE_CURRENT_LIST_DIR})
target_compile_features(amct_onnx_proto PUBLIC cxx_std_17)
target_compile_definitions(amct_onnx_proto PRIVATE ONNX_ML=1 ONNX_NAMESPACE=onnx)
# amct::header_only for amct::detail::read_regular_file: the conformance tests link this library without
# amct's compiled one
target_link_libraries(amct_onnx_proto PRIVATE amct::header_only onnx onnx_proto protobuf::libprotobuf)
set_target_properties(amct_onnx_proto PROPERTIES POSITION_INDEPENDENT_CODE ON)
amct_target_options(amct_onnx_proto)
