// Keeps hs_test_support non-empty before the first helper lands.
