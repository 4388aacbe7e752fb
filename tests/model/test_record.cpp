// amct/model/record.hpp: check_record, AMCT's read-time rules on a record in memory.
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include <amct/base/error.hpp>
#include <amct/model/record.hpp>

#include "test_support.hpp"

TEST_SUITE("record.txt")
{
    TEST_CASE("check_record: the rules on a record in memory, and its keys against the model")
    {
        amct::quant_record rec;
        rec["conv1"].scale_d = 0.5f;
        rec["ghost"].scale_w = {-1.0f};
        const std::vector<std::string> names = {"conv1", "fc"};
        CHECK_EQ(amct_test::config_error_of(
                   [&]
                   {
                       amct::check_record(rec, &names);
                   }),
                 "record: record \"ghost\": scale_w[0] = -1 must be a finite number > 0\n"
                 "record: record \"ghost\": not a layer of the model");
        rec.layers.pop_back();
        amct::check_record(rec, &names);
    }
}
