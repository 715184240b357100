%define api.pure full
%code { int yylex(void); void yyerror(const char *); }
%%
file: %empty ;
%%
